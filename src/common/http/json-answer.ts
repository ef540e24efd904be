import { hash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';

import type { Response } from 'express';

/**
 * The headers Express's `res.send` sets on a UTF-8 JSON body (`Content-Type` with its charset,
 * `Content-Length`, and the weak ETag of the `etag` package: length and SHA-1), for answers written in front
 * of the framework with the same bytes.
 */
export function jsonAnswerHeaders(body: Buffer, mediaType = 'application/json'): OutgoingHttpHeaders {
  return {
    'content-type': `${mediaType}; charset=utf-8`,
    'content-length': body.length,
    etag: `W/"${body.length.toString(16)}-${hash('sha1', body, 'base64').slice(0, 27)}"`,
  };
}

/**
 * JSON text already written, whole or as the pieces it is the concatenation of (a page's rows between its envelope's
 * two halves): pieces are encoded straight into the answer's bytes, without first joining an 11 KB string.
 */
export type JsonText = string | readonly string[];

/**
 * Answers 200 with JSON text already written (e.g. shaped by PostgreSQL), with the headers `res.json` would set
 * for the same bytes (content type with charset, length, Express's ETag), or 304 without a body when the client
 * holds that ETag, as `res.send` answers: the text is not parsed and written again, and none of `res.send`'s
 * content-type parsing runs per request. For routes that take `@Res()`; the caller vouches that `json` is valid
 * JSON of the route's schema.
 */
export function sendJsonText(response: Response, json: JsonText): void {
  const body = utf8Bytes(json);
  const headers = jsonAnswerHeaders(body);
  response.setHeader('ETag', headers.etag as string);
  // Express's `req.fresh`: a GET or HEAD whose If-None-Match (or If-Modified-Since) the ETag set above satisfies.
  if (response.req.fresh) {
    response.status(304).end();
    return;
  }
  response.writeHead(200, headers).end(body);
}

function utf8Bytes(json: JsonText): Buffer {
  if (typeof json === 'string') {
    return Buffer.from(json, 'utf8');
  }
  let length = 0;
  for (const piece of json) {
    length += Buffer.byteLength(piece, 'utf8');
  }
  const body = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const piece of json) {
    offset += body.write(piece, offset, 'utf8');
  }
  return body;
}
