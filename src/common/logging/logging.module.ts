import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import type { AllConfig } from 'config/config.type';

import { boundLogText, describeError, MAX_LOGGED_MESSAGE } from './describe-error';
import { REDACTED_LOG_PATHS, redactUrl } from './redact';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const URL_LOG_LENGTH = 1000;

/**
 * pino JSON logs with request IDs (taken from X-Request-Id when sane, else generated) and redaction. No
 * line carries a body or a whole hostile value: errors are logged as class, code and bounded message
 * whoever logs them, message strings and URLs are cut at a bound, and bodies are never logged.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => {
        const logFile = config.get('app.logFile', { infer: true });
        return {
          pinoHttp: {
            stream: logFile ? pino.destination({ dest: logFile, sync: true, mkdir: true }) : undefined,
            level: config.get('app.logLevel', { infer: true }),
            redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
            genReqId: (request: IncomingMessage, response: ServerResponse) => {
              const incoming = request.headers['x-request-id'];
              const id = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
              response.setHeader('X-Request-Id', id);
              return id;
            },
            serializers: {
              req: (request: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
                id: request.id,
                method: request.method,
                // A cursor or filter can make a URL of several kilobytes; the start identifies the request.
                url: boundLogText(redactUrl(request.url ?? ''), URL_LOG_LENGTH),
                remoteAddress: request.remoteAddress,
              }),
              err: describeError,
            },
            hooks: {
              // Whatever a caller interpolated into its message (an error's text, a value) stops at the bound.
              logMethod(this: pino.Logger, args: unknown[], method: (...args: unknown[]) => void) {
                method.apply(
                  this,
                  args.map((arg) => (typeof arg === 'string' ? boundLogText(arg, MAX_LOGGED_MESSAGE) : arg)),
                );
              },
            },
            autoLogging: { ignore: (request: IncomingMessage) => request.url?.startsWith('/health') ?? false },
          },
        };
      },
    }),
  ],
})
export class LoggingModule {}
