/** A column a {@link bulkUpdate} may write: its name and its SQL type (the type of its `unnest` array). */
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

// Bit k of a row's mask says its column k changed; a JS number holds 53 bits exactly.
const MAX_BULK_COLUMNS = 53;

/**
 * One `UPDATE … FROM unnest(…)` statement that writes many rows of `table` (keyed by a uuid `id`), each with
 * its own values, and only the columns that changed on each row (as the unit of work would, so a value the
 * statement did not mean to touch is never written back, not even rounded). `updated_at` is stamped on every
 * row written. The values travel column by column, one array parameter each (a column no row changes sends
 * an empty one, which `unnest` pads with NULLs), beside an `int8` mask per row of the columns it changed:
 * dates as ISO strings, JSON columns as JSON text. That is a third of the bytes of one JSON document of
 * records, and no JSON for PostgreSQL to parse. The caller runs it (in its transaction) and owns the table;
 * `columns` come from its code, never from input.
 */
export function bulkUpdate(
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly BulkRow[],
  /** SQL assignments applied to every row written, beside its own values (from the caller's code, never input). */
  also?: string,
): { sql: string; params: unknown[]; prepared: true } {
  if (columns.length > MAX_BULK_COLUMNS) {
    throw new Error(`bulkUpdate(${table}): at most ${MAX_BULK_COLUMNS} columns`);
  }
  const index = new Map(columns.map((column, position) => [column.column, position]));
  const values: Array<Array<string | null> | null> = columns.map(() => null);
  const masks: number[] = [];
  // A round's rows share a few times (when read, when synced, when due next): each is formatted once.
  const isoTexts = new Map<number, string>();
  rows.forEach((row, rowIndex) => {
    let mask = 0;
    for (const column in row.changes) {
      const position = index.get(column);
      if (position === undefined) {
        throw new Error(`bulkUpdate(${table}): column ${column} is not writable here`);
      }
      mask += 2 ** position;
      const list = (values[position] ??= new Array<string | null>(rows.length).fill(null));
      list[rowIndex] = arrayElement(row.changes[column], isoTexts);
    }
    masks.push(mask);
  });
  const sets = columns.map(
    ({ column }, position) =>
      `${column} = CASE WHEN v.changed & ${2 ** position} <> 0 THEN v.${column} ELSE t.${column} END`,
  );
  const arrays = columns.map(({ type }) => `?::${type}[]`);
  return {
    sql: `UPDATE ${table} AS t
             SET ${sets.join(',\n                 ')},${also ? `\n                 ${also},` : ''}
                 updated_at = now()
            FROM unnest(?::uuid[], ?::int8[], ${arrays.join(', ')})
                 AS v(id, changed, ${columns.map(({ column }) => column).join(', ')})
           WHERE t.id = v.id`,
    // The text depends on the table, its columns and `also` only: the values travel as parameters.
    prepared: true,
    params: [
      `{${rows.map((row) => row.id).join(',')}}`,
      `{${masks.join(',')}}`,
      ...values.map((list) => (list ? `{${list.map((value) => value ?? 'NULL').join(',')}}` : '{}')),
    ],
  };
}

/**
 * One value as an element of a PostgreSQL array literal: quoted and escaped, NULL unquoted. Dates are
 * formatted through `isoTexts` (by time), which the caller shares between the elements of one statement.
 */
function arrayElement(value: unknown, isoTexts: Map<number, string>): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (value instanceof Date) {
    const time = value.getTime();
    let text = isoTexts.get(time);
    if (text === undefined) {
      text = value.toISOString();
      isoTexts.set(time, text);
    }
    return text;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Most texts hold neither character: no replacement to build for them.
  return text.includes('"') || text.includes('\\') ? `"${text.replace(/[\\"]/g, '\\$&')}"` : `"${text}"`;
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
 * changed and wrote it again. Walks the values without building their texts, and with plain loops: a
 * round compares four health objects per WABA, and a closure and a key list per object and array were
 * the largest part of what the round's comparisons allocated.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return false;
  }
  const aIsArray = Array.isArray(a);
  if (aIsArray || Array.isArray(b)) {
    if (!aIsArray || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let index = 0; index < a.length; index++) {
      if (!sameJson(a[index], b[index])) {
        return false;
      }
    }
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // Own enumerable keys only (Object.keys' set), counted on both sides.
  let leftKeys = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key)) {
      continue;
    }
    leftKeys += 1;
    if (!Object.hasOwn(right, key) || !sameJson(left[key], right[key])) {
      return false;
    }
  }
  let rightKeys = 0;
  for (const key in right) {
    if (Object.hasOwn(right, key)) {
      rightKeys += 1;
    }
  }
  return leftKeys === rightKeys;
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

  /** The fields read as times (epoch milliseconds, decoded to Dates). */
  private readonly dateList: readonly F[];

  constructor(private readonly columns: Readonly<Record<F, MappedColumn>>) {
    this.fields = Object.keys(columns) as F[];
    this.bulkColumns = this.fields
      .filter((field) => columns[field].bulk)
      .map((field) => ({ column: columns[field].column, type: columns[field].type }));
    this.dateList = this.fields.filter((field) => columns[field].kind === 'date');
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

  /**
   * A row read with {@link select} with its times turned back into Dates, in place: the row itself is
   * returned (a round's chunk reads hundreds of rows of dozens of columns, and a copy of each was garbage).
   */
  decode<T extends Record<string, unknown>>(row: T): T & Record<F, unknown> {
    const fields: Record<string, unknown> = row;
    for (const field of this.dateList) {
      const value = fields[field];
      if (value !== null && value !== undefined) {
        fields[field] = new Date(Number(value));
      }
    }
    return row;
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
    const rows: BulkRow[] = [];
    for (const { id, fields } of changes) {
      // A loop, not entries mapped into new objects: a round's chunk writes hundreds of rows.
      const columnChanges: Record<string, unknown> = {};
      let changed = false;
      for (const field in fields) {
        columnChanges[this.columns[field].column] = fields[field];
        changed = true;
      }
      if (changed || keepUnchanged) {
        rows.push({ id, changes: columnChanges });
      }
    }
    return rows;
  }
}
