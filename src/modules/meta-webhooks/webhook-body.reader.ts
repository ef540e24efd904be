import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { type ProblemDocument, problemFor } from 'src/common/exceptions/problem-document';
import { jsonAnswerHeaders } from 'src/common/http/json-answer';

import { META_SIGNATURE_HEADER, WEBHOOK_MAX_BODY_BYTES } from './meta-webhooks.constants';
import { parseMetaSignatureHeader } from './webhook-signature';

/** The raw bytes of a delivery whose `X-Hub-Signature-256` matched, as the reader leaves them on the request. */
export interface VerifiedWebhookBody {
  raw: Buffer;
  /** Hex SHA-256 of `raw` (the inbox's dedupe key), computed chunk by chunk as the bytes arrived. */
  sha256: string;
}

/** An Express request as it leaves {@link createWebhookBodyReader}. */
export type WebhookRequest = Request & {
  verifiedWebhookBody?: VerifiedWebhookBody;
  /** body-parser's "already read" flag: later JSON parsers leave the stream alone. */
  _body?: boolean;
};

/** Options of {@link createWebhookBodyReader} and {@link readSignedWebhookBody}. */
export interface WebhookBodyReaderOptions {
  /** Meta app secret the HMAC is keyed with; empty refuses every delivery. */
  appSecret: string;
  /** Largest body read (default {@link WEBHOOK_MAX_BODY_BYTES}). */
  maxBytes?: number;
}

const logger = new Logger('WebhookBodyReader');

/**
 * Express middleware for `POST /webhooks/meta`, mounted before any body parser: runs
 * {@link readSignedWebhookBody} and passes only a verified delivery on, with its bytes in
 * `request.verifiedWebhookBody`.
 */
export function createWebhookBodyReader(options: WebhookBodyReaderOptions): RequestHandler {
  return (request: WebhookRequest, response: Response, next: NextFunction): void => {
    if (request.method !== 'POST') {
      next();
      return;
    }
    readSignedWebhookBody(request, response, options, (body) => {
      request.verifiedWebhookBody = body;
      request._body = true;
      next();
    });
  };
}

/**
 * Reads a delivery on Node's own request and response (no framework needed): the body is authenticated on
 * its raw bytes before anything parses it (graph-api-reference.md §6.2), and unauthenticated requests cost
 * next to nothing. A missing or malformed signature header is refused (401) before a byte of the body is
 * read; a declared length over the cap is refused (413) the same way; otherwise the HMAC (and the SHA-256
 * the inbox deduplicates on) is computed while the body streams in, one chunk at a time, so that no step
 * hashes a whole 3.5 MiB body at once (a body that grows over the cap is cut off with 413), and only a
 * matching signature calls `onVerified` with the bytes. Refusals are answered here and close the connection
 * so that nothing more of the body is read (`beforeRefusal` runs first, to set headers the caller left
 * unset); they log the size and reason, never bytes.
 */
export function readSignedWebhookBody(
  request: IncomingMessage,
  response: ServerResponse,
  options: WebhookBodyReaderOptions,
  onVerified: (body: VerifiedWebhookBody) => void,
  beforeRefusal: () => void = () => undefined,
): void {
  const refuse = (code: ErrorCode, detail: string, error?: { field: string; message: string }): void => {
    beforeRefusal();
    answerRefusal(request, response, code, detail, error);
  };
  const maxBytes = options.maxBytes ?? WEBHOOK_MAX_BODY_BYTES;
  const expected = parseMetaSignatureHeader(request.headers[META_SIGNATURE_HEADER]);
  if (!expected || !options.appSecret) {
    refuse(ErrorCode.UNAUTHENTICATED, 'X-Hub-Signature-256 is missing or malformed');
    return;
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    refuse(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Webhook deliveries are not compressed', {
      field: 'content-encoding',
      message: 'must be identity',
    });
    return;
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    refuse(ErrorCode.PAYLOAD_TOO_LARGE, `A delivery is at most ${maxBytes} bytes`);
    return;
  }

  const hmac = createHmac('sha256', options.appSecret);
  const digest = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  request.on('data', (chunk: Buffer) => {
    if (settled) {
      return;
    }
    size += chunk.length;
    if (size > maxBytes) {
      settled = true;
      chunks.length = 0;
      refuse(ErrorCode.PAYLOAD_TOO_LARGE, `A delivery is at most ${maxBytes} bytes`);
      return;
    }
    hmac.update(chunk);
    digest.update(chunk);
    chunks.push(chunk);
  });
  request.on('error', () => {
    // The client went away mid-body: nothing to answer, nothing stored.
    settled = true;
    chunks.length = 0;
  });
  request.on('end', () => {
    if (settled) {
      return;
    }
    settled = true;
    const actual = hmac.digest();
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      logger.warn(`Webhook delivery of ${size} bytes refused: signature does not match`);
      refuse(ErrorCode.UNAUTHENTICATED, 'X-Hub-Signature-256 does not match the body');
      return;
    }
    onVerified({ raw: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), sha256: digest.digest('hex') });
  });
}

/** Writes a problem document with Node's own response, as the framework would send it (type, length, ETag). */
export function sendProblem(
  response: ServerResponse,
  problem: ProblemDocument,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = Buffer.from(JSON.stringify(problem));
  response.writeHead(problem.status, { ...headers, ...jsonAnswerHeaders(body, 'application/problem+json') });
  response.end(body);
}

function answerRefusal(
  request: IncomingMessage,
  response: ServerResponse,
  code: ErrorCode,
  detail: string,
  error?: { field: string; message: string },
): void {
  // Size and reason only: a refused body is never logged (it is mostly not even read).
  logger.debug(
    `Webhook request refused (${code}): ${detail}; ${request.headers['content-length'] ?? '?'} bytes declared`,
  );
  const problem = problemFor(code, detail, {
    // Express rewrites `url` below the reader's mount point; `originalUrl` is what the client sent.
    instance: ((request as { originalUrl?: string }).originalUrl ?? request.url ?? '').split('?')[0],
    errors: error ? [error] : undefined,
  });
  // Whatever of the body is still on its way is not read: the connection ends with this answer.
  response.once('finish', () => request.destroy());
  sendProblem(response, problem, { connection: 'close' });
}
