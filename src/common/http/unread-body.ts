import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * How long the rest of an unread body is discarded after the answer before the connection is cut: nginx's
 * `lingering_timeout`, long enough for a slow client to finish a body within the limit and read its answer.
 */
export const UNREAD_BODY_LINGER_MS = 5_000;
const CHECK_EVERY_MS = 25;

/**
 * Express middleware bounding what the service does with a body it answered without reading (401 before
 * the body, 404, 413 on the declared length, 415): Node discards such a body as it arrives, for as long as
 * the client sends it, so that the connection can serve its next request. That is cheap for a body within
 * the limit, but an unauthenticated client could keep a connection busy with megabytes, or with an endless
 * chunked body. After the answer, at most `limitBytes` more and {@link UNREAD_BODY_LINGER_MS} are
 * discarded; past either the connection is closed. By then the answer has long been sent, so a client
 * that reads it while still sending (curl, browsers, Node's fetch) has it.
 */
export function capUnreadBodies(limitBytes: number, lingerMs = UNREAD_BODY_LINGER_MS) {
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    response.once('finish', () => {
      if (request.complete || request.socket.destroyed) {
        return;
      }
      // Node discards a dumped body inside its HTTP parser, with no event to count it by (and a 'data'
      // listener on the socket would take the socket from the parser and stall its next request), so the
      // socket's byte count is polled for the short while this lasts.
      const socket = request.socket;
      const startedAt = Date.now();
      const readBefore = socket.bytesRead;
      const check = setInterval(() => {
        if (request.complete || socket.destroyed) {
          clearInterval(check);
        } else if (socket.bytesRead - readBefore > limitBytes || Date.now() - startedAt > lingerMs) {
          clearInterval(check);
          socket.destroy();
        }
      }, CHECK_EVERY_MS);
      check.unref();
    });
    next();
  };
}
