import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, Server, ServerResponse } from 'node:http';

import { jsonAnswerHeaders } from 'src/common/http/json-answer';
import { carriesBody } from 'src/common/http/json-body';
import { assignRequestId } from 'src/common/logging/request-id';

/** The liveness probe's path, answered in front of the framework. */
export const LIVENESS_PATH = '/health/live';
const LIVENESS_BODY = Buffer.from(JSON.stringify({ status: 'ok' }));

/** A Node request handler that answers some requests itself and passes the others on with `next()`. */
export type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Puts {@link answerLivenessProbes} in front of the HTTP server's request listener (the Express app Nest
 * created), so that a probe does not even enter Express's router; every other request goes to the app as
 * before. Call once, before the server listens.
 */
export function answerLivenessProbesFirst(server: Server, securityHeaders: OutgoingHttpHeaders): void {
  putInFrontOfApp(server, answerLivenessProbes(securityHeaders));
}

/**
 * Puts `middleware` in front of the HTTP server's one request listener (the Express app Nest created, or
 * what an earlier call put in front of it): the requests it answers never enter Express; the others go on
 * as before. Call before the server listens.
 */
export function putInFrontOfApp(server: Server, middleware: Middleware): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) {
    throw new Error(`Expected the app as the HTTP server's one request listener, found ${listeners.length}`);
  }
  const [app] = listeners;
  server.removeListener('request', app);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    middleware(request, response, () => app(request, response));
  });
}

/**
 * A request handler that answers `GET`/`HEAD /health/live` itself, with the bytes the
 * HealthController's route answers (`{"status":"ok"}`, its content type and ETag, the security headers,
 * the request ID): liveness means "the process serves HTTP", which needs no route table, guard, interceptor,
 * ORM context, metrics or log line, and a probe then costs what Node costs. Any other spelling of the path
 * (a query, a trailing slash, other case) and any request with a body go on to that route as before.
 * Health probes are not logged at info anyway, and are left out of the request metrics here.
 */
export function answerLivenessProbes(securityHeaders: OutgoingHttpHeaders): Middleware {
  // Express's content type and weak ETag of the body, as the route sends it.
  const headers: OutgoingHttpHeaders = { ...securityHeaders, ...jsonAnswerHeaders(LIVENESS_BODY) };
  return (request, response, next) => {
    if (
      request.url !== LIVENESS_PATH ||
      (request.method !== 'GET' && request.method !== 'HEAD') ||
      carriesBody(request)
    ) {
      next();
      return;
    }
    assignRequestId(request, response);
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : LIVENESS_BODY);
  };
}

/**
 * The headers a header-only middleware (helmet) sets on every answer, found by running it once on a stub:
 * so the probe sends exactly what the middleware would, without running it per request.
 */
export function headersSetBy(middleware: Middleware): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  let passed = false;
  const stub = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name.toLowerCase()] = value;
      return stub;
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  middleware(
    { headers: {}, method: 'GET', url: LIVENESS_PATH } as IncomingMessage,
    stub as unknown as ServerResponse,
    (error) => {
      passed = error === undefined;
    },
  );
  if (!passed) {
    throw new Error('The security-header middleware did not pass a plain GET on: its headers cannot be taken once');
  }
  return headers;
}
