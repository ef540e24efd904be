import type { IncomingMessage, ServerResponse } from 'node:http';

import type { JsonObject, JsonValue } from './meta-simulator.types';

/** Largest request body accepted (Graph rejects far smaller bodies for these endpoints anyway). */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Reads the whole request body; rejects bodies over 5 MB. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Graph accepts JSON-encoded values inside form and query parameters (e.g. `template={"name":…}`), so a
 * value that looks like a JSON object or array is decoded.
 */
function decodeParamValue(value: string): JsonValue {
  const trimmed = value.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return value;
    }
  }
  return value;
}

/** Query string or form-encoded parameters as an object (last value wins). */
export function paramsFromSearch(search: URLSearchParams): JsonObject {
  const params: JsonObject = {};
  search.forEach((value, key) => {
    params[key] = decodeParamValue(value);
  });
  return params;
}

/** Minimal multipart/form-data reader for `curl -F name=value` style requests (text fields only). */
function parseMultipart(raw: string, boundary: string): JsonObject {
  const params: JsonObject = {};
  for (const part of raw.split(`--${boundary}`)) {
    const separator = part.indexOf('\r\n\r\n');
    if (separator < 0) {
      continue;
    }
    const name = /name="([^"]*)"/.exec(part.slice(0, separator));
    if (name) {
      params[name[1]] = decodeParamValue(part.slice(separator + 4).replace(/\r\n$/, ''));
    }
  }
  return params;
}

/** Outcome of decoding a request body. */
export type ParsedBody = { ok: true; value: JsonValue | null } | { ok: false };

/** Decodes a JSON, form-encoded or multipart body (§1.3: all three encodings are accepted). */
export function parseBody(contentType: string | undefined, raw: Buffer): ParsedBody {
  if (raw.length === 0) {
    return { ok: true, value: null };
  }
  const type = (contentType ?? '').toLowerCase();
  const text = raw.toString('utf8');
  if (type.includes('application/x-www-form-urlencoded')) {
    return { ok: true, value: paramsFromSearch(new URLSearchParams(text)) };
  }
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary=("?)([^";]+)\1/.exec(contentType ?? '');
    return boundary ? { ok: true, value: parseMultipart(text, boundary[2]) } : { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    // Without a content type, curl users often send `a=b&c=d`; Graph is lenient about it too.
    if (!type.includes('json') && /^[^=&\s]+=/.test(text)) {
      return { ok: true, value: paramsFromSearch(new URLSearchParams(text)) };
    }
    return { ok: false };
  }
}

/** True for a plain JSON object. */
export function isJsonObject(value: JsonValue | null | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes a JSON answer unless the socket is gone. */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  writeRaw(res, status, JSON.stringify(body), { 'Content-Type': 'application/json; charset=UTF-8', ...headers });
}

/** Writes a raw answer unless the socket is gone. */
export function writeRaw(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) {
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
