import type { IncomingMessage, Server } from 'node:http';

import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { PinoLogger } from 'nestjs-pino';
import { Store, storage } from 'nestjs-pino/storage';

import type { AllConfig } from 'config/config.type';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { PROBLEM_CONTENT_TYPE, problemFor } from 'src/common/exceptions/problem-document';
import {
  carriesBody,
  CONTENT_CODINGS,
  isJsonMediaType,
  isUtf8Charset,
  parseContentEncoding,
  parseContentType,
} from 'src/common/http/json-body';
import { JsonBodyGuard } from 'src/common/http/json-body.guard';
import { capUnreadBodies } from 'src/common/http/unread-body';
import { createValidationPipe } from 'src/common/http/validation';
import { findConsoleBuild, serveConsole } from 'src/bootstrap/console';
import { answerLivenessProbesFirst, headersSetBy, putInFrontOfApp } from 'src/bootstrap/liveness-probe';
import { answerWebhookDeliveries, type BodyRefusal, WEBHOOK_INTAKE_PATH } from 'src/bootstrap/webhook-intake';
import { MetaWebhooksService } from 'src/modules/meta-webhooks/meta-webhooks.service';
import { createWebhookBodyReader } from 'src/modules/meta-webhooks/webhook-body.reader';
import { MetricsService } from 'src/modules/metrics/metrics.service';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Options of {@link configureApp}. */
export interface ConfigureAppOptions {
  /** The built console to serve at `/`; default: dist/console when built, else no console. */
  consoleDir?: string | null;
}

/**
 * Everything main.ts and the e2e tests share on top of AppModule: UTF-8 JSON-only bodies in a known
 * coding, read after authentication with a size and a depth limit (webhook bodies read raw and
 * authenticated before any parsing), security headers, validation and Swagger. Part of the composition
 * root (src/bootstrap), which alone may wire a module's piece (the webhook body reader) into the HTTP
 * stack: src/common stays free of module imports. The console (the guide's pages) is served at `/`.
 */
export function configureApp(app: INestApplication, options: ConfigureAppOptions = {}): void {
  const expressApp = app as NestExpressApplication;
  const config = app.get(ConfigService<AllConfig, true>);
  const bodyLimit = config.get('app.bodyLimitBytes', { infer: true });

  expressApp.set('trust proxy', 'loopback');
  expressApp.disable('x-powered-by');
  const securityHeaders = helmet({
    // Swagger UI needs its inline bootstrap script and styles.
    contentSecurityPolicy: {
      directives: { 'script-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:', 'https:'] },
    },
  });
  const server = app.getHttpServer() as Server;
  const securityHeaderValues = headersSetBy(securityHeaders);
  // The liveness probe first, before Express: the same bytes, security headers and request ID, nothing else.
  answerLivenessProbesFirst(server, securityHeaderValues);
  // Meta's deliveries next, also before Express: what the route needs and nothing else (webhook-intake.ts).
  const metrics = app.get(MetricsService);
  const capUnreadBody = capUnreadBodies(bodyLimit);
  putInFrontOfApp(
    server,
    answerWebhookDeliveries({
      webhooks: app.get(MetaWebhooksService),
      reader: { appSecret: config.get('meta.appSecret', { infer: true }) },
      securityHeaders: securityHeaderValues,
      refuseBody,
      capUnreadBody,
      // The request logger's root exists once the app is initialised, i.e. before the first request.
      withRequestLogger: (requestId, work) => storage.run(lazyRequestStore(requestId), work),
      answered: ({ requestId, statusCode, durationMs, seconds }) => {
        // The line the request logger writes for a routed request (logging.module.ts), and its metric.
        const line = { reqId: requestId, method: 'POST', route: WEBHOOK_INTAKE_PATH, statusCode, durationMs };
        if (statusCode >= 500) {
          PinoLogger.root.error(line, 'request completed');
        } else {
          PinoLogger.root.info(line, 'request completed');
        }
        metrics.recordHttp('POST', WEBHOOK_INTAKE_PATH, statusCode, seconds);
      },
    }),
  );
  // Before anything else can answer: a body answered unread is discarded for a bounded while only.
  expressApp.use(capUnreadBody);
  // Helmet's headers are the same on every answer (no nonce): taken once, set by one middleware instead
  // of its eleven.
  const headers = Object.entries(securityHeaderValues);
  expressApp.use((_request: Request, response: Response, next: NextFunction) => {
    for (const [name, value] of headers) {
      response.setHeader(name, value as string | number | string[]);
    }
    next();
  });
  const consoleDir = options.consoleDir === undefined ? findConsoleBuild() : options.consoleDir;
  if (consoleDir) {
    // Replaces helmet's policy (relaxed for Swagger UI's inline script) with the console's strict one.
    expressApp.use(serveConsole({ dir: consoleDir, allowFacebookSdk: !config.get('meta.sandbox', { infer: true }) }));
  }
  expressApp.use(rejectNonJsonBodies);
  // Meta's deliveries are authenticated by an HMAC of their raw bytes (up to ~3 MB): the reader checks it
  // before any parser sees them, and refuses unsigned ones without reading them.
  expressApp.use(
    '/webhooks/meta',
    createWebhookBodyReader({ appSecret: config.get('meta.appSecret', { infer: true }) }),
  );
  // The API's bodies are read by a guard after the authentication guard (APP_GUARD, which runs first): an
  // unauthenticated request never has its body read, inflated or parsed.
  app.useGlobalGuards(new JsonBodyGuard(bodyLimit));
  app.useGlobalPipes(createValidationPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('WhatsApp Assets API')
      .setDescription(
        'WABAs and phone numbers connected through Embedded Signup, their status from Meta, MM Lite onboarding and ' +
          'per-number sending channels. Authenticate with an organization API key (`Authorization: Bearer waak_…`); ' +
          'admin routes take ADMIN_API_TOKEN. Errors are RFC 9457 problem documents.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Organization API key or admin token' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * The request logger's store for a delivery answered in front of the framework, whose child logger (bound to
 * `reqId`, with the redaction it inherits) is made the first time something logs: a stored delivery logs
 * nothing but its request line (written from the root), so most never pay for one.
 */
function lazyRequestStore(requestId: string): Store {
  let logger: Store['logger'] | undefined;
  const store = Object.create(Store.prototype) as Store;
  Object.defineProperty(store, 'logger', {
    enumerable: true,
    get: () => (logger ??= PinoLogger.root.child({ reqId: requestId })),
    set: (value: Store['logger']) => {
      logger = value;
    },
  });
  return store;
}

// A body the JSON parser would silently skip (text/plain, form data…) must not reach validation as `{}`,
// one in another charset than UTF-8 would slip past the depth scan, which reads UTF-8 bytes, and one in a
// coding the reader cannot undo could never be read. These checks read headers only, so they come before
// authentication: they cost an unauthenticated caller's request nothing more than its 401 would.
// The coding is checked whatever the method: any body may reach the reader.
function rejectNonJsonBodies(request: Request, response: Response, next: NextFunction): void {
  const refusal = refuseBody(request);
  if (!refusal) {
    next();
    return;
  }
  const problem = problemFor(ErrorCode.UNSUPPORTED_MEDIA_TYPE, refusal.detail, {
    instance: request.originalUrl.split('?')[0],
    errors: [refusal.error],
  });
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

function refuseBody(request: IncomingMessage): BodyRefusal | null {
  if (!carriesBody(request)) {
    return null;
  }
  const { type, charset } = parseContentType(request.headers['content-type']);
  if (BODY_METHODS.has(request.method ?? '') && (!isJsonMediaType(type) || !isUtf8Charset(charset))) {
    const message = isJsonMediaType(type) ? 'charset must be utf-8' : 'must be application/json';
    return { detail: 'Send the body as application/json in UTF-8', error: { field: 'content-type', message } };
  }
  if (!parseContentEncoding(request.headers['content-encoding'])) {
    const message = `must be one of ${CONTENT_CODINGS.join(', ')} (one coding)`;
    return { detail: `Content-Encoding ${message}`, error: { field: 'content-encoding', message } };
  }
  return null;
}
