import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import { Logger } from '@nestjs/common';

import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { problemFor } from 'src/common/exceptions/problem-document';
import type { FieldError } from 'src/common/exceptions/domain.exception';
import { jsonAnswerHeaders } from 'src/common/http/json-answer';
import { REQUEST_ID_HEADER, requestIdOf } from 'src/common/logging/request-id';
import type { Middleware } from 'src/bootstrap/liveness-probe';
import { MetaWebhooksService } from 'src/modules/meta-webhooks/meta-webhooks.service';
import {
  readSignedWebhookBody,
  sendProblem,
  type VerifiedWebhookBody,
  type WebhookBodyReaderOptions,
} from 'src/modules/meta-webhooks/webhook-body.reader';

/** Meta's callback path, answered in front of the framework (the route template it is logged and counted as). */
export const WEBHOOK_INTAKE_PATH = '/webhooks/meta';

/** A refusal of a body by its headers alone (media type, charset, coding), as every API route refuses it. */
export interface BodyRefusal {
  detail: string;
  error: FieldError;
}

/** What {@link answerWebhookDeliveries} needs from the composition root. */
export interface WebhookIntakeOptions {
  webhooks: MetaWebhooksService;
  reader: WebhookBodyReaderOptions;
  /** The headers the security middleware sets on every answer (taken once, see `headersSetBy`). */
  securityHeaders: OutgoingHttpHeaders;
  /** The header checks every request body passes before authentication: a refusal (415), or null. */
  refuseBody: (request: IncomingMessage) => BodyRefusal | null;
  /** Bounds what is discarded of a body answered unread (`capUnreadBodies`). */
  capUnreadBody: (request: IncomingMessage, response: ServerResponse, next: () => void) => void;
  /**
   * Runs `work` with log lines bound to the request's ID (the request logger's context), so that what the
   * service logs while storing the delivery carries `reqId` as it would inside the framework.
   */
  withRequestLogger: <T>(requestId: string, work: () => Promise<T>) => Promise<T>;
  /** Called once the answer is written: the request's log line and its metric. */
  answered: (answer: { requestId: string; statusCode: number; durationMs: number; seconds: number }) => void;
}

const ACK_STORED = Buffer.from(JSON.stringify({ received: true, duplicate: false }));
const ACK_DUPLICATE = Buffer.from(JSON.stringify({ received: true, duplicate: true }));
// The two answers never change: their headers (ETag included) are computed once, not per delivery.
const ACK_STORED_HEADERS = jsonAnswerHeaders(ACK_STORED);
const ACK_DUPLICATE_HEADERS = jsonAnswerHeaders(ACK_DUPLICATE);

const logger = new Logger('WebhookIntake');

/**
 * `POST /webhooks/meta`, answered in front of Express: Meta waits on the 200 (it retries, then disables
 * endpoints that answer slowly), so a delivery pays for no route table, guard, interceptor, ORM request
 * context or per-request middleware, only for what the route needs, in the route's order and with its
 * bytes: the security headers and request ID, the body checks every route makes (415), the signature on the
 * raw bytes before anything parses them (401, 413, 415: `readSignedWebhookBody`), the durable store before
 * the 200 (`MetaWebhooksService.receive`, group commit), the route's problems (503 when the delivery could
 * not be stored), one compact log line and the request metric. The verification handshake (GET) and every
 * other spelling of the path (a trailing slash, other case) go on to the framework's route as before.
 */
export function answerWebhookDeliveries(options: WebhookIntakeOptions): Middleware {
  const securityHeaders = Object.entries(options.securityHeaders).filter(
    (header): header is [string, NonNullable<OutgoingHttpHeaders[string]>] => header[1] !== undefined,
  );
  // The acknowledgements' headers, security headers included, written with the answer in one `writeHead`:
  // a dozen `setHeader` calls per delivery (each validated, lower-cased and stored) cost more than the HMAC.
  const ackHeaders = (ack: OutgoingHttpHeaders): OutgoingHttpHeader[] =>
    [...securityHeaders, ...Object.entries(ack)].flatMap(([name, value]) => (value === undefined ? [] : [name, value]));
  const storedHeaders = ackHeaders(ACK_STORED_HEADERS);
  const duplicateHeaders = ackHeaders(ACK_DUPLICATE_HEADERS);
  return (request, response, next) => {
    if (request.method !== 'POST' || pathOf(request.url) !== WEBHOOK_INTAKE_PATH) {
      next();
      return;
    }
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdOf(request);
    // Any other answer (a refusal, a failure) carries the same headers, set before it is written.
    const prepareRefusal = (): void => {
      for (const [name, value] of securityHeaders) {
        response.setHeader(name, value);
      }
      response.setHeader(REQUEST_ID_HEADER, requestId);
    };
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      options.answered({ requestId, statusCode: response.statusCode, durationMs: Math.round(seconds * 1000), seconds });
    });
    options.capUnreadBody(request, response, () => undefined);
    const refusal = options.refuseBody(request);
    if (refusal) {
      prepareRefusal();
      sendProblem(
        response,
        problemFor(ErrorCode.UNSUPPORTED_MEDIA_TYPE, refusal.detail, {
          instance: WEBHOOK_INTAKE_PATH,
          errors: [refusal.error],
        }),
      );
      return;
    }
    readSignedWebhookBody(
      request,
      response,
      options.reader,
      (body) => {
        void store(options, body, requestId, response, prepareRefusal, { storedHeaders, duplicateHeaders });
      },
      prepareRefusal,
    );
  };
}

async function store(
  options: WebhookIntakeOptions,
  body: VerifiedWebhookBody,
  requestId: string,
  response: ServerResponse,
  prepareRefusal: () => void,
  headers: Record<'storedHeaders' | 'duplicateHeaders', OutgoingHttpHeader[]>,
): Promise<void> {
  let duplicate: boolean;
  try {
    ({ duplicate } = await options.withRequestLogger(requestId, () => options.webhooks.receive(body)));
  } catch (error) {
    prepareRefusal();
    answerFailure(response, error, requestId);
    return;
  }
  const ackHeaders = duplicate ? headers.duplicateHeaders : headers.storedHeaders;
  // Names and values in one flat list, as `writeHead` takes them.
  response.writeHead(200, [...ackHeaders, REQUEST_ID_HEADER, requestId]);
  response.end(duplicate ? ACK_DUPLICATE : ACK_STORED);
}

/** The problem the framework's filter answers for what `receive` throws (a 503 when nothing was stored). */
function answerFailure(response: ServerResponse, error: unknown, requestId: string): void {
  if (response.headersSent) {
    return;
  }
  const context = { instance: WEBHOOK_INTAKE_PATH, requestId };
  if (error instanceof DomainException) {
    const problem = problemFor(error.code, error.detail, {
      ...context,
      errors: error.extras.errors,
      meta: error.extras.meta,
    });
    const retryAfter = error.extras.retryAfterSeconds;
    sendProblem(response, problem, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
    return;
  }
  logger.error({ err: error, requestId }, 'Unhandled error');
  sendProblem(
    response,
    problemFor(
      ErrorCode.INTERNAL_ERROR,
      'An unexpected error occurred; quote the request ID when reporting it',
      context,
    ),
  );
}

function pathOf(url: string | undefined): string {
  if (url === undefined) {
    return '';
  }
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
