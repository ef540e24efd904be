/** `YYYY-MM-DD HH:MM:SS[.ffffff]+00`: a timestamptz as PostgreSQL writes it in a UTC session. */
const UTC_SUFFIX = '+00';
const SHORTEST = 'YYYY-MM-DD HH:MM:SS+00'.length;
const LONGEST = 'YYYY-MM-DD HH:MM:SS.ffffff+00'.length;

/**
 * A timestamptz read as text (the ORM's driver leaves them unparsed) as the ISO 8601 string an answer
 * shows (`2026-12-03T19:41:18.123Z`), exactly what `JSON.stringify(new Date(value))` writes, null included
 * for a value no Date holds. The canonical UTC form is rewritten by slicing: parsing 50 rows' timestamps
 * into Dates and formatting them back cost more than the rest of the list page's shaping.
 */
export function timestampJson(value: Date | string | null): string | null {
  if (value === null) {
    return null;
  }
  if (typeof value === 'string' && isCanonicalUtc(value)) {
    const fraction = value.length > SHORTEST ? `${value.slice(20, value.length - 3)}00`.slice(0, 3) : '000';
    return `${value.slice(0, 10)}T${value.slice(11, 19)}.${fraction}Z`;
  }
  // Any other form (an offset, BC, infinity, a year Date reads otherwise) as Date reads and writes it.
  return new Date(value).toJSON() ?? null;
}

function isCanonicalUtc(value: string): boolean {
  const length = value.length;
  return (
    length >= SHORTEST &&
    length <= LONGEST &&
    value.endsWith(UTC_SUFFIX) &&
    value[4] === '-' &&
    value[10] === ' ' &&
    (length === SHORTEST || value[19] === '.') &&
    // Date reads years below 100 as 19xx: leave those to it, so that the answer stays what it was.
    !value.startsWith('00')
  );
}

/**
 * The SQL expression that writes a timestamptz `expression` as {@link timestampJson} does (UTC, milliseconds cut,
 * not rounded, as `to_char`'s MS cuts them), for answers PostgreSQL shapes itself; NULL stays NULL.
 */
export function timestampJsonSql(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
