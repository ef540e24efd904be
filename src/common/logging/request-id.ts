import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request's ID: the caller's X-Request-Id when it is sane (1–64 of `A-Za-z0-9._-`), a new UUID
 * otherwise; echoed in the answer's X-Request-Id. One rule for the logged requests (pino-http) and the
 * liveness probe answered in front of the framework.
 */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const id = requestIdOf(request);
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The answer's header that echoes the request's ID. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The request's ID as {@link assignRequestId} chooses it, for an answer that writes its headers itself. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}
