import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * The headers Express's `res.send` sets on a UTF-8 JSON body (`Content-Type` with its charset,
 * `Content-Length`, and the weak ETag of the `etag` package: length and SHA-1), for answers written in front
 * of the framework with the same bytes.
 */
export function jsonAnswerHeaders(body: Buffer, mediaType = 'application/json'): OutgoingHttpHeaders {
  return {
    'content-type': `${mediaType}; charset=utf-8`,
    'content-length': body.length,
    etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`,
  };
}
