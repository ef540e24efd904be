/** A column a {@link bulkUpdate} may write: its name and its SQL type (as `jsonb_to_recordset` reads it). */
export interface BulkColumn {
  column: string;
  type: string;
}

/** One row of a {@link bulkUpdate}: its primary key and the new values of the columns that changed. */
export interface BulkRow {
  id: string;
  /** By column name; a column absent here keeps its stored value. */
  changes: Record<string, unknown>;
}

/**
 * One `UPDATE … FROM jsonb_to_recordset(…)` statement that writes many rows of `table` (keyed by a uuid `id`),
 * each with its own values, and only the columns that changed on each row (as the unit of work would, so a
 * value the statement did not mean to touch is never written back, not even rounded). `updated_at` is
 * stamped on every row written. The values travel as one JSON parameter: dates as ISO strings, JSON columns
 * as JSON. The caller runs it (in its transaction) and owns the table; `columns` come from its code, never
 * from input.
 */
export function bulkUpdate(
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly BulkRow[],
  /** SQL assignments applied to every row written, beside its own values (from the caller's code, never input). */
  also?: string,
): { sql: string; params: unknown[] } {
  const known = new Set(columns.map((column) => column.column));
  const records = rows.map((row) => {
    const changed = Object.keys(row.changes);
    const unknown = changed.find((column) => !known.has(column));
    if (unknown) {
      throw new Error(`bulkUpdate(${table}): column ${unknown} is not writable here`);
    }
    return { ...row.changes, id: row.id, changed };
  });
  const sets = columns.map(
    ({ column }) => `${column} = CASE WHEN '${column}' = ANY(v.changed) THEN v.${column} ELSE t.${column} END`,
  );
  const shape = columns.map(({ column, type }) => `${column} ${type}`);
  return {
    sql: `UPDATE ${table} AS t
             SET ${sets.join(',\n                 ')},${also ? `\n                 ${also},` : ''}
                 updated_at = now()
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS v(id uuid, changed text[], ${shape.join(', ')})
           WHERE t.id = v.id`,
    params: [JSON.stringify(records)],
  };
}

/**
 * The fields of `after` whose value differs from `before` (dates by time, JSON by value whatever its keys'
 * order, the rest by identity), with their new values: what a {@link bulkUpdate} row writes.
 */
export function changedValues<T extends object, K extends keyof T>(
  before: T,
  after: T,
  fields: readonly K[],
): Partial<Pick<T, K>> {
  const changes: Partial<Pick<T, K>> = {};
  for (const field of fields) {
    if (!sameValue(before[field], after[field])) {
      changes[field] = after[field];
    }
  }
  return changes;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime();
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return sameJson(a, b);
  }
  return false;
}

/**
 * Whether two JSON values are equal, whatever the order of their objects' keys: a `jsonb` column reads back
 * in PostgreSQL's key order, not the writer's, so comparing texts found every health object of a round
 * changed and wrote it again. Walks the values without building their texts.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((value, index) => sameJson(value, b[index]))
    );
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) {
    return false;
  }
  return keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key], right[key]));
}

/** How a field of a plain row maps to its column: name, SQL type, how it is read, whether it is written in bulk. */
export interface MappedColumn {
  column: string;
  type: string;
  kind: 'value' | 'date' | 'json';
  bulk: boolean;
}

/**
 * The fields an owner reads as plain rows (no hydration) and writes back with {@link bulkUpdate}: one map per
 * table, so that the select list, the decoding of a row and the bulk write are derived from the same entries.
 */
export class ColumnMap<F extends string> {
  /** The mapped fields, in the map's order. */
  readonly fields: readonly F[];
  /** The columns {@link bulkUpdate} may write. */
  readonly bulkColumns: readonly BulkColumn[];

  constructor(private readonly columns: Readonly<Record<F, MappedColumn>>) {
    this.fields = Object.keys(columns) as F[];
    this.bulkColumns = this.fields
      .filter((field) => columns[field].bulk)
      .map((field) => ({ column: columns[field].column, type: columns[field].type }));
  }

  /**
   * The select list, each column aliased by its field. Times are read as whole epoch milliseconds (extract is
   * exact numeric): a JS Date's precision, as the driver would read them, so a value read and written back
   * compares equal.
   */
  select(tableAlias?: string): string {
    const prefix = tableAlias ? `${tableAlias}.` : '';
    return this.fields
      .map((field) => {
        const { column, kind } = this.columns[field];
        return kind === 'date'
          ? `floor(extract(epoch FROM ${prefix}${column}) * 1000)::int8 AS "${field}"`
          : `${prefix}${column} AS "${field}"`;
      })
      .join(', ');
  }

  /** The mapped fields of a row read with {@link select}, times back as Dates. */
  decode(row: Record<string, unknown>): Record<F, unknown> {
    const fields = {} as Record<F, unknown>;
    for (const field of this.fields) {
      const value = row[field];
      fields[field] = value !== null && this.columns[field].kind === 'date' ? new Date(Number(value)) : value;
    }
    return fields;
  }

  /**
   * A copy of a row read with {@link select} to compare with it once changed ({@link changedValues}): its
   * JSON fields copied deeply, since a change may edit them in place. Dates are kept (changes replace them).
   */
  copy<T extends object>(row: T): T {
    const copy = { ...row } as Record<string, unknown>;
    for (const field of this.fields) {
      const value = copy[field];
      if (this.columns[field].kind === 'json' && value !== null && value !== undefined) {
        copy[field] = JSON.parse(JSON.stringify(value)) as unknown;
      }
    }
    return copy as T;
  }

  /** Whether a field may be written in bulk. */
  writableInBulk(field: F): boolean {
    return this.columns[field].bulk;
  }

  /**
   * The rows of a {@link bulkUpdate} for these changed fields (rows with no change left out, unless
   * `keepUnchanged`: the statement's `also` assignments are to reach them).
   */
  bulkRows(
    changes: ReadonlyArray<{ id: string; fields: Partial<Record<F, unknown>> }>,
    keepUnchanged = false,
  ): BulkRow[] {
    return changes
      .map(({ id, fields }) => ({
        id,
        changes: Object.fromEntries(
          Object.entries(fields).map(([field, value]) => [this.columns[field as F].column, value]),
        ),
      }))
      .filter((row) => keepUnchanged || Object.keys(row.changes).length > 0);
  }
}
