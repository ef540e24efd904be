import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

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

/** The content codings a body may come in; `x-gzip` is read as gzip (RFC 9110 §8.4.1.3). */
export const CONTENT_CODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/**
 * The one content coding of a `Content-Encoding` header (absent or empty: identity), or null when the
 * header names a coding the API does not read, or several: a stack such as `gzip, gzip` would have the
 * service inflate the output of its own inflater, and no client needs it.
 */
export function parseContentEncoding(header: string | undefined): ContentCoding | null {
  const coding = (header ?? '').trim().toLowerCase() || 'identity';
  if (coding === 'x-gzip') {
    return 'gzip';
  }
  return (CONTENT_CODINGS as readonly string[]).includes(coding) ? (coding as ContentCoding) : null;
}

/** The body's Content-Encoding is not one the API reads: 415 UNSUPPORTED_MEDIA_TYPE naming `content-encoding`. */
export class UnsupportedContentEncodingException extends DomainException {
  constructor() {
    const message = `must be one of ${CONTENT_CODINGS.join(', ')} (one coding)`;
    super(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Encoding ${message}`, {
      errors: [{ field: 'content-encoding', message }],
    });
  }
}

/** The body, or what it inflates to, is over the limit: 413 PAYLOAD_TOO_LARGE naming `body`. */
export class BodyTooLargeException extends DomainException {
  constructor(limitBytes: number) {
    super(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the accepted limit', {
      errors: [{ field: 'body', message: `must be at most ${limitBytes} bytes, decompressed` }],
    });
  }
}

/** The body is not what its Content-Encoding says (broken, truncated, another coding): 400 naming `body`. */
export class UndecodableBodyException extends DomainException {
  constructor(coding: ContentCoding) {
    super(ErrorCode.MALFORMED_REQUEST, `The request body could not be decompressed as ${coding}`, {
      errors: [{ field: 'body', message: `must be ${coding} data, as Content-Encoding says` }],
    });
  }
}

/** The body is not UTF-8 JSON of an object or array: 400 MALFORMED_REQUEST naming `body`. */
export class InvalidJsonBodyException extends DomainException {
  constructor(message = 'must be valid JSON') {
    super(ErrorCode.MALFORMED_REQUEST, 'The request body is not valid JSON', { errors: [{ field: 'body', message }] });
  }
}

/** The client went away before the whole body arrived; nobody is left to read the answer. */
export class BodyAbortedException extends DomainException {
  constructor() {
    super(ErrorCode.MALFORMED_REQUEST, 'The request body ended before its declared length', {
      errors: [{ field: 'body', message: 'was cut off' }],
    });
  }
}

/** A request as {@link readJsonBody} leaves it: `body` parsed, and body-parser's "already read" flag set. */
export type RequestWithJsonBody = IncomingMessage & { body?: unknown; _body?: boolean };

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** True when {@link readJsonBody} has a body to read: one is sent, declared JSON, and nobody read it yet. */
export function hasUnreadJsonBody(request: RequestWithJsonBody): boolean {
  return !request._body && !request.readableEnded && carriesBody(request) && hasJsonBody(request);
}

/**
 * Reads, decompresses and parses a JSON body into `request.body`, refusing as soon as it can and never
 * holding more than `limitBytes` of it: a declared length over the limit before a byte is read, then
 * bytes received and bytes inflated each over the limit (a gzip bomb stops at the limit), data its
 * Content-Encoding does not describe, bytes that are not UTF-8, nesting deeper than {@link MAX_JSON_DEPTH}
 * (scanned before JSON.parse), and top-level values other than an object or array. Each refusal is a
 * DomainException. Requests without a JSON body, or whose body something else already read, are left as
 * they are. What is left of a refused body is discarded as it arrives, never buffered.
 */
export async function readJsonBody(request: RequestWithJsonBody, limitBytes: number): Promise<void> {
  if (!hasUnreadJsonBody(request)) {
    return;
  }
  const coding = parseContentEncoding(request.headers['content-encoding']);
  if (!coding) {
    throw new UnsupportedContentEncodingException();
  }
  if (Number(request.headers['content-length'] ?? 0) > limitBytes) {
    throw new BodyTooLargeException(limitBytes);
  }
  let bytes = await receive(request, coding, limitBytes);
  request._body = true;
  if (!isUtf8(bytes)) {
    throw new InvalidJsonBodyException('must be UTF-8 text');
  }
  // RFC 8259 §8.1 lets a parser ignore a byte order mark; the body parser before this one did.
  if (UTF8_BOM.every((byte, index) => bytes[index] === byte)) {
    bytes = bytes.subarray(UTF8_BOM.length);
  }
  assertJsonDepth(bytes);
  const first = bytes.find((byte) => !WHITESPACE.has(byte));
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    throw new InvalidJsonBodyException('must be a JSON object or array');
  }
  try {
    request.body = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new InvalidJsonBodyException();
  }
}

/** Whether the request has a body at all (RFC 9112 §6.3): a Transfer-Encoding, or a non-zero Content-Length. */
export function carriesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

// Collects the (decompressed) body, counting the bytes received and the bytes inflated against the limit.
function receive(request: IncomingMessage, coding: ContentCoding, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const decoder =
      coding === 'gzip'
        ? createGunzip()
        : coding === 'deflate'
          ? createInflate()
          : coding === 'br'
            ? createBrotliDecompress()
            : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let kept = 0;
    let settled = false;

    const settle = (error: DomainException | null): void => {
      if (settled) {
        return;
      }
      settled = true;
      request.removeListener('data', onData);
      request.removeListener('end', onEnd);
      request.removeListener('close', onAborted);
      request.removeListener('error', onAborted);
      decoder?.removeAllListeners('data');
      decoder?.removeAllListeners('end');
      decoder?.on('error', () => undefined);
      decoder?.destroy();
      if (error) {
        chunks.length = 0;
        // Discard whatever is still on its way, so that the connection can serve the next request.
        request.resume();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, kept));
      }
    };
    const keep = (chunk: Buffer): void => {
      kept += chunk.length;
      if (kept > limitBytes) {
        settle(new BodyTooLargeException(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) {
        settle(new BodyTooLargeException(limitBytes));
      } else if (decoder) {
        decoder.write(chunk);
      } else {
        keep(chunk);
      }
    };
    const onEnd = (): void => {
      if (decoder) {
        decoder.end();
      } else {
        settle(null);
      }
    };
    const onAborted = (): void => {
      // 'close' also follows a complete body, possibly while the decoder is still at work on it.
      if (!request.complete) {
        settle(new BodyAbortedException());
      }
    };

    decoder?.on('data', keep);
    decoder?.on('end', () => settle(null));
    decoder?.on('error', () => settle(new UndecodableBodyException(coding)));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onAborted);
    request.on('error', onAborted);
  });
}
