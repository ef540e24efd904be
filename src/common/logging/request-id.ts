import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request's ID: the caller's X-Request-Id when it is sane (1–64 of `A-Za-z0-9._-`), a new UUID
 * otherwise; echoed in the answer's X-Request-Id. One rule for the logged requests (pino-http) and the
 * liveness probe answered in front of the framework.
 */
export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const incoming = request.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
  response.setHeader('X-Request-Id', id);
  return id;
}
