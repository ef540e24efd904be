import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { PROBLEM_CONTENT_TYPE, problemFor } from 'src/common/exceptions/problem-document';

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

/** Options of {@link createWebhookBodyReader}. */
export interface WebhookBodyReaderOptions {
  /** Meta app secret the HMAC is keyed with; empty refuses every delivery. */
  appSecret: string;
  /** Largest body read (default {@link WEBHOOK_MAX_BODY_BYTES}). */
  maxBytes?: number;
}

const logger = new Logger('WebhookBodyReader');

/**
 * Express middleware for `POST /webhooks/meta`, mounted before any body parser: the body is authenticated
 * on its raw bytes before anything parses it (graph-api-reference.md §6.2), and unauthenticated requests
 * cost next to nothing. A missing or malformed signature header is refused (401) before a byte of the body
 * is read; a declared length over the cap is refused (413) the same way; otherwise the HMAC (and the
 * SHA-256 the inbox deduplicates on) is computed while the body streams in, one chunk at a time, so that no
 * step hashes a whole 3.5 MiB body at once (a body that grows over the cap is cut off with 413), and only a
 * matching signature lets the request through, with the bytes in `request.verifiedWebhookBody`. Refusals close the
 * connection so that nothing more of the body is read, and they log the size and reason, never bytes.
 */
export function createWebhookBodyReader(options: WebhookBodyReaderOptions): RequestHandler {
  const maxBytes = options.maxBytes ?? WEBHOOK_MAX_BODY_BYTES;
  return (request: WebhookRequest, response: Response, next: NextFunction): void => {
    if (request.method !== 'POST') {
      next();
      return;
    }
    const expected = parseMetaSignatureHeader(request.headers[META_SIGNATURE_HEADER]);
    if (!expected || !options.appSecret) {
      refuse(request, response, ErrorCode.UNAUTHENTICATED, 'X-Hub-Signature-256 is missing or malformed');
      return;
    }
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      refuse(request, response, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Webhook deliveries are not compressed', {
        field: 'content-encoding',
        message: 'must be identity',
      });
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      refuse(request, response, ErrorCode.PAYLOAD_TOO_LARGE, `A delivery is at most ${maxBytes} bytes`);
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
        refuse(request, response, ErrorCode.PAYLOAD_TOO_LARGE, `A delivery is at most ${maxBytes} bytes`);
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
        refuse(request, response, ErrorCode.UNAUTHENTICATED, 'X-Hub-Signature-256 does not match the body');
        return;
      }
      request.verifiedWebhookBody = { raw: Buffer.concat(chunks, size), sha256: digest.digest('hex') };
      request._body = true;
      next();
    });
  };
}

function refuse(
  request: Request,
  response: Response,
  code: ErrorCode,
  detail: string,
  error?: { field: string; message: string },
): void {
  // Size and reason only: a refused body is never logged (it is mostly not even read).
  logger.debug(
    `Webhook request refused (${code}): ${detail}; ${request.headers['content-length'] ?? '?'} bytes declared`,
  );
  const problem = problemFor(code, detail, {
    instance: request.originalUrl.split('?')[0],
    errors: error ? [error] : undefined,
  });
  // Whatever of the body is still on its way is not read: the connection ends with this answer.
  response.setHeader('Connection', 'close');
  response.once('finish', () => request.destroy());
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
