import type { IncomingMessage } from 'node:http';

import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/**
 * Deepest nesting of objects and arrays a request body may have. class-transformer and class-validator
 * walk a body recursively, so a body thousands of levels deep overflows the stack (a 500). Our deepest
 * legitimate bodies are far below the limit: a marketing send with template parameters nests 7 levels,
 * Meta's deepest published webhook example 11.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when the UTF-8 JSON text in `bytes` opens more than `maxDepth` objects or arrays inside each
 * other. One pass over the bytes with a counter, no recursion and no parse, so it is cheap and cannot
 * overflow however hostile the input. Brackets inside strings do not count. In UTF-8 every byte of a
 * multi-byte character is ≥ 0x80, so no such byte can be mistaken for a bracket, quote or backslash.
 * Malformed JSON is not judged here: the parser that runs next refuses it.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) {
        index++;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > maxDepth) {
        return true;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/** The body nests objects or arrays deeper than {@link MAX_JSON_DEPTH}: 400 MALFORMED_REQUEST naming `body`. */
export class JsonTooDeepException extends DomainException {
  constructor() {
    const message = `must not nest objects or arrays more than ${MAX_JSON_DEPTH} levels deep`;
    super(ErrorCode.MALFORMED_REQUEST, `The request body ${message}`, { errors: [{ field: 'body', message }] });
  }
}

/** Throws {@link JsonTooDeepException} when `bytes` nest deeper than {@link MAX_JSON_DEPTH}. */
export function assertJsonDepth(bytes: Uint8Array): void {
  if (exceedsJsonDepth(bytes)) {
    throw new JsonTooDeepException();
  }
}

/** The media type and charset of a `Content-Type` header, lower-cased; charset null when absent. */
export function parseContentType(header: string | undefined): { type: string; charset: string | null } {
  const [type = '', ...parameters] = (header ?? '').split(';');
  let charset: string | null = null;
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=', 2).map((part) => part.trim());
    if (name?.toLowerCase() === 'charset' && value !== undefined) {
      charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    }
  }
  return { type: type.trim().toLowerCase(), charset };
}

/** `application/json` or any `application/…+json` type: the bodies the API reads. */
export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The body parsers' `type` test: parse exactly the bodies that the content-type guard let through. */
export function hasJsonBody(request: IncomingMessage): boolean {
  return isJsonMediaType(parseContentType(request.headers['content-type']).type);
}

/**
 * RFC 8259 §8.1: JSON exchanged between systems is UTF-8. Other charsets are refused rather than decoded,
 * so that the depth scan, which reads UTF-8 bytes, sees the same text the parser will.
 */
export function isUtf8Charset(charset: string | null): boolean {
  return charset === null || charset === 'utf-8' || charset === 'utf8';
}
