import { isUtf8 } from 'node:buffer';

import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** Longest `cursor` accepted; the longest this API makes (a timestamp and a UUID) is 96 characters. */
export const MAX_CURSOR_LENGTH = 512;

/** A page of a list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * What one position of a keyset cursor holds. Each kind accepts exactly the spelling the API writes, so a
 * decoded value is one the column can hold: PostgreSQL text cannot hold NUL, timestamptz stops at years
 * JavaScript still has, and a uuid column refuses anything else with an error (each a 500 before).
 * - `metaId`: a Meta ID (digit string), as WABAs and numbers are ordered by;
 * - `timestamp`: `Date#toISOString()` of a year 0001–9999, decoded to a Date;
 * - `uuid`: a lower-case UUID, as the internal IDs are written.
 */
export type CursorField = 'metaId' | 'timestamp' | 'uuid';

/** The decoded value of each {@link CursorField}. */
type CursorValue<F extends CursorField> = F extends 'timestamp' ? Date : string;

/** The decoded values of a cursor of the given fields, position by position. */
export type CursorValues<F extends readonly CursorField[]> = { -readonly [I in keyof F]: CursorValue<F[I]> };

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encodes keyset values as an opaque URL-safe cursor (base64url of a JSON array of strings). */
export function encodeCursor(values: Array<string | Date>): string {
  const texts = values.map((value) => (value instanceof Date ? value.toISOString() : value));
  return Buffer.from(JSON.stringify(texts), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for a list ordered by `fields`. The one check every keyset
 * cursor passes before its values go near SQL: canonical base64url, valid UTF-8, a JSON array of exactly
 * `fields.length` strings, each in the spelling of its kind. Anything else (a forged or tampered cursor, a
 * cursor of another list) is a 400 VALIDATION_FAILED naming `cursor`, never a query with a bad value.
 */
export function decodeCursor<const F extends readonly CursorField[]>(cursor: string, fields: F): CursorValues<F> {
  const values = readCursor(cursor);
  if (!values || values.length !== fields.length) {
    throw new InvalidCursorException();
  }
  return fields.map((field, index) => decodeField(field, values[index])) as CursorValues<F>;
}

/** The cursor is not one this API made for this list: 400 VALIDATION_FAILED naming `cursor`. */
export class InvalidCursorException extends DomainException {
  constructor() {
    super(ErrorCode.VALIDATION_FAILED, 'Invalid request: cursor', {
      errors: [{ field: 'cursor', message: 'cursor must be a cursor returned by this API' }],
    });
  }
}

// The JSON array of a cursor, or null when it is not base64url of UTF-8 JSON of an array.
function readCursor(cursor: string): unknown[] | null {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    return null;
  }
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips what it cannot read; only the exact spelling encodeCursor wrote is a cursor.
  if (bytes.toString('base64url') !== cursor || !isUtf8(bytes)) {
    return null;
  }
  try {
    const values: unknown = JSON.parse(bytes.toString('utf8'));
    return Array.isArray(values) ? values : null;
  } catch {
    return null;
  }
}

function decodeField(field: CursorField, value: unknown): string | Date {
  if (typeof value !== 'string') {
    throw new InvalidCursorException();
  }
  switch (field) {
    case 'metaId':
      if (META_ID_PATTERN.test(value)) {
        return value;
      }
      break;
    case 'uuid':
      if (LOWER_CASE_UUID.test(value)) {
        return value;
      }
      break;
    case 'timestamp': {
      // The round trip refuses what Date would silently normalise (2024-02-30, 24:00) or cannot hold;
      // year 0000 and six-digit years cannot be written in this spelling at all.
      const date = ISO_TIMESTAMP.test(value) && !value.startsWith('0000') ? new Date(value) : null;
      if (date && !Number.isNaN(date.getTime()) && date.toISOString() === value) {
        return date;
      }
      break;
    }
  }
  throw new InvalidCursorException();
}
