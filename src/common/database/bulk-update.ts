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
             SET ${sets.join(',\n                 ')},
                 updated_at = now()
            FROM jsonb_to_recordset(CAST(? AS jsonb)) AS v(id uuid, changed text[], ${shape.join(', ')})
           WHERE t.id = v.id`,
    params: [JSON.stringify(records)],
  };
}

/**
 * The fields of `after` whose value differs from `before` (dates by time, JSON by its text, the rest by
 * identity), with their new values: what a {@link bulkUpdate} row writes.
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
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}
