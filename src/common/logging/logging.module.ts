import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import type { AllConfig } from 'config/config.type';

import { REDACTED_LOG_PATHS, redactUrl } from './redact';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** pino JSON logs with request IDs (taken from X-Request-Id when sane, else generated) and redaction. */
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
                url: redactUrl(request.url ?? ''),
                remoteAddress: request.remoteAddress,
              }),
            },
            autoLogging: { ignore: (request: IncomingMessage) => request.url?.startsWith('/health') ?? false },
          },
        };
      },
    }),
  ],
})
export class LoggingModule {}
