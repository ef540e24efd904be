import type { IncomingMessage, ServerResponse } from 'node:http';

import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import type { AllConfig } from 'config/config.type';

import { boundLogText, describeError, MAX_LOGGED_MESSAGE } from './describe-error';
import { REDACTED_LOG_PATHS } from './redact';
import { assignRequestId } from './request-id';

/** The route label of requests Express matched to no route of ours (same as the HTTP metrics'). */
const UNMATCHED_ROUTE = 'unmatched';

/** The request line's fields: one compact line per request, no header, no URL, no body. */
interface RequestLine {
  method: string | undefined;
  route: string;
  statusCode: number;
  durationMs: number;
}

/**
 * pino JSON logs with request IDs (taken from X-Request-Id when sane, else generated) and redaction. No
 * line carries a body or a whole hostile value: errors are logged as class, code and bounded message
 * whoever logs them, message strings are cut at a bound, and bodies are never logged.
 *
 * One compact line per request once it is answered (`reqId`, `method`, the route template, `statusCode`,
 * `durationMs`), not its headers or URL: at info, a 5xx at error. Every line logged while the request runs
 * carries its `reqId`. Health probes are logged at debug only (readiness failures still at error).
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => {
        const logFile = config.get('app.logFile', { infer: true });
        const level = config.get('app.logLevel', { infer: true });
        const debug = level === 'debug' || level === 'trace';
        return {
          pinoHttp: {
            stream: logFile ? pino.destination({ dest: logFile, sync: true, mkdir: true }) : undefined,
            level,
            redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
            genReqId: assignRequestId,
            // Lines logged during the request carry `reqId` only, and so does the request's own line.
            quietReqLogger: true,
            quietResLogger: true,
            // pino-http still binds the request to a logger it does not use: keep that free (unwrapped, a
            // serializer gets the raw value; errors go through pino's own serializer first, as they did).
            wrapSerializers: false,
            serializers: {
              req: () => undefined,
              res: () => undefined,
              err: (error: unknown) => describeError(pino.stdSerializers.err(error as Error)),
            },
            customLogLevel: (request: IncomingMessage, response: ServerResponse, error?: Error) =>
              error || response.statusCode >= 500 ? 'error' : isHealthProbe(request) ? 'debug' : 'info',
            customSuccessMessage: () => 'request completed',
            customErrorMessage: () => 'request failed',
            customSuccessObject: (
              request: IncomingMessage,
              response: ServerResponse,
              value: { responseTime: number },
            ) => requestLine(request, response, value.responseTime),
            customErrorObject: (
              request: IncomingMessage,
              response: ServerResponse,
              error: Error,
              value: { responseTime: number },
            ) => ({ ...requestLine(request, response, value.responseTime), err: error }),
            hooks: {
              // Whatever a caller interpolated into its message (an error's text, a value) stops at the bound.
              logMethod(this: pino.Logger, args: unknown[], method: (...args: unknown[]) => void) {
                method.apply(
                  this,
                  args.map((arg) => (typeof arg === 'string' ? boundLogText(arg, MAX_LOGGED_MESSAGE) : arg)),
                );
              },
            },
            // Below debug a probe's line would be dropped anyway: do not even wait for its answer.
            autoLogging: { ignore: (request: IncomingMessage) => !debug && isHealthProbe(request) },
          },
        };
      },
    }),
  ],
})
export class LoggingModule {}

function isHealthProbe(request: IncomingMessage): boolean {
  return request.url?.startsWith('/health') ?? false;
}

function requestLine(request: IncomingMessage, response: ServerResponse, durationMs: number): RequestLine {
  // The template Express matched (`/api/v1/wabas/:wabaId`): bounded whatever IDs callers send. Nest answers
  // unknown paths from a catch-all route (`/{*all}`), which is no route of ours.
  const route = (request as IncomingMessage & { route?: { path?: unknown } }).route?.path;
  return {
    method: request.method,
    route: typeof route === 'string' && !route.includes('*') ? route : UNMATCHED_ROUTE,
    statusCode: response.statusCode,
    durationMs,
  };
}
