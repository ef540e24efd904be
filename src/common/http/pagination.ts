import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** A page of a list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Encodes keyset values as an opaque URL-safe cursor. */
export function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; a tampered one is a 400 naming `cursor`. */
export function decodeCursor(cursor: string, expectedLength: number): Array<string | number> {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === expectedLength &&
      values.every((value) => typeof value === 'string' || typeof value === 'number')
    ) {
      return values;
    }
  } catch {
    // fall through to the validation error
  }
  throw new DomainException(ErrorCode.VALIDATION_FAILED, 'Invalid request: cursor', {
    errors: [{ field: 'cursor', message: 'cursor must be a cursor returned by this API' }],
  });
}
