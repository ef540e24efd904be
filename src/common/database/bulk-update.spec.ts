import { bulkUpdate, changedValues, ColumnMap } from './bulk-update';

describe(changedValues.name, () => {
  it('should find a JSON value unchanged whatever the order of its keys', () => {
    const before = { health: { canSendMessage: 'AVAILABLE', entities: [{ entityType: 'WABA', id: '1' }] } };
    const after = { health: { entities: [{ id: '1', entityType: 'WABA' }], canSendMessage: 'AVAILABLE' } };

    expect(changedValues(before, after, ['health'])).toEqual({});
  });

  it('should find a JSON value changed deep inside, in an array or by a key more', () => {
    const before: { health: Record<string, unknown> } = {
      health: { entities: [{ entityType: 'WABA', canSendMessage: 'AVAILABLE' }] },
    };

    expect(
      changedValues(before, { health: { entities: [{ entityType: 'WABA', canSendMessage: 'BLOCKED' }] } }, ['health']),
    ).toEqual({ health: { entities: [{ entityType: 'WABA', canSendMessage: 'BLOCKED' }] } });
    expect(changedValues(before, { health: { entities: [] } }, ['health'])).toEqual({ health: { entities: [] } });
    expect(changedValues(before, { health: { ...before.health, extra: null } }, ['health'])).toEqual({
      health: { ...before.health, extra: null },
    });
    expect(changedValues({ health: { a: [1] } }, { health: { a: { 0: 1 } } }, ['health'])).toEqual({
      health: { a: { 0: 1 } },
    });
  });

  it('should compare dates by their time and other values by identity', () => {
    const before = { at: new Date(1_000), name: 'a', count: 1 };

    expect(changedValues(before, { at: new Date(1_000), name: 'a', count: 1 }, ['at', 'name', 'count'])).toEqual({});
    expect(changedValues(before, { at: new Date(2_000), name: 'b', count: 1 }, ['at', 'name', 'count'])).toEqual({
      at: new Date(2_000),
      name: 'b',
    });
  });
});

describe(bulkUpdate.name, () => {
  const columns = [{ column: 'name', type: 'text' }];

  it('should add the caller assignments to every row written', () => {
    const { sql } = bulkUpdate('things', columns, [{ id: 'x', changes: {} }], 'handled_at = now()');

    expect(sql).toContain('handled_at = now(),');
    expect(bulkUpdate('things', columns, [{ id: 'x', changes: {} }]).sql).not.toContain('handled_at');
  });

  it('should quote and escape texts, and write dates as ISO 8601', () => {
    const at = new Date(Date.UTC(2026, 11, 4, 23, 0, 0, 5));
    const { params } = bulkUpdate(
      'things',
      [...columns, { column: 'at', type: 'timestamptz' }],
      [
        { id: 'a', changes: { name: 'say "hi" \\ bye', at } },
        { id: 'b', changes: { name: 'plain', at: new Date(at.getTime()) } },
        { id: 'c', changes: { at: null } },
      ],
    );

    expect(params.slice(2)).toEqual([
      '{"say \\"hi\\" \\\\ bye","plain",NULL}',
      '{2026-12-04T23:00:00.005Z,2026-12-04T23:00:00.005Z,NULL}',
    ]);
  });

  it('should refuse a column it may not write', () => {
    expect(() => bulkUpdate('things', columns, [{ id: 'x', changes: { secret: 1 } }])).toThrow(/secret/);
  });
});

describe(ColumnMap.name, () => {
  const map = new ColumnMap<'name'>({ name: { column: 'name', type: 'text', kind: 'value', bulk: true } });

  it('should leave out rows with no change unless asked to keep them', () => {
    const changes = [
      { id: 'a', fields: { name: 'n' } },
      { id: 'b', fields: {} },
    ];

    expect(map.bulkRows(changes).map((row) => row.id)).toEqual(['a']);
    expect(map.bulkRows(changes, true).map((row) => row.id)).toEqual(['a', 'b']);
  });
});
