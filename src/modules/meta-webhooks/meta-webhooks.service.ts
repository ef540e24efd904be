import { createHash, timingSafeEqual } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { describeError } from 'src/common/logging/describe-error';

import {
  InvalidWebhookSignatureException,
  MissingWebhookChallengeException,
  WebhookNotStoredException,
  WebhookVerificationFailedException,
} from './meta-webhooks.exception';
import { WebhookInboxStatus, WebhookUnprocessableReason } from './meta-webhooks.constants';
import { decodeWebhookBody } from './webhook-body.decoder';
import type { VerifiedWebhookBody } from './webhook-body.reader';
import { splitDeliveryByWaba } from './webhook-change.router';
import { type StoredDelivery, WebhookInboxRepository } from './webhook-inbox.repository';
import { WebhookInboxWorker } from './webhook-inbox.worker';
import { WebhookIntakeLoad } from './webhook-intake.load';

const CHALLENGE_PATTERN = /^[\x21-\x7e]{1,256}$/;

/**
 * The receiving side of Meta webhooks (graph-api-reference.md §6.1–6.2): the verification handshake and
 * the signed deliveries (authenticated by `createWebhookBodyReader` before anything parses them),
 * which are stored in the inbox before they are acknowledged and processed by {@link WebhookInboxWorker}.
 */
@Injectable()
export class MetaWebhooksService {
  private readonly logger = new Logger(MetaWebhooksService.name);

  constructor(
    private readonly inbox: WebhookInboxRepository,
    private readonly config: ConfigService<AllConfig, true>,
    private readonly worker: WebhookInboxWorker,
    private readonly intakeLoad: WebhookIntakeLoad,
  ) {}

  /**
   * Answers Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: the challenge when the
   * mode is `subscribe` and the token matches META_WEBHOOK_VERIFY_TOKEN (compared in constant time).
   */
  verifySubscription(mode: unknown, verifyToken: unknown, challenge: unknown): string {
    const expected = this.config.get('meta.webhookVerifyToken', { infer: true });
    if (mode !== 'subscribe' || typeof verifyToken !== 'string' || !expected || !sameSecret(verifyToken, expected)) {
      throw new WebhookVerificationFailedException();
    }
    if (typeof challenge !== 'string' || !CHALLENGE_PATTERN.test(challenge)) {
      throw new MissingWebhookChallengeException();
    }
    return challenge;
  }

  /**
   * Stores a delivery whose signature `createWebhookBodyReader` verified on its raw bytes, once
   * (unique SHA-256 of the raw body, which the reader hashed as it streamed in, per WABA it is about), and
   * kicks the worker. Concurrent deliveries share one INSERT (the repository's group commit); each is
   * answered once its own rows are committed. Bytes that are signed but cannot be stored as
   * `jsonb` (not UTF-8, not JSON, too deep, U+0000, lone surrogates…) are parked as UNPROCESSABLE with
   * their reason and raw bytes: acknowledged, so that Meta does not retry them for days, and never
   * processed. No log line carries the payload, only its size, digest and reason.
   */
  async receive(body: VerifiedWebhookBody | undefined): Promise<{ duplicate: boolean }> {
    if (!body || body.raw.length === 0) {
      throw new InvalidWebhookSignatureException('A signed JSON body is required');
    }
    // Counted before anything else: during a burst the worker leaves the CPU to the deliveries (see the load).
    this.intakeLoad.noteDelivery();
    try {
      return await this.store(body);
    } finally {
      this.intakeLoad.noteAnswered();
    }
  }

  private async store(body: VerifiedWebhookBody): Promise<{ duplicate: boolean }> {
    const { sha256 } = body;
    const decoded = decodeWebhookBody(body.raw);
    if (!decoded.ok) {
      return this.park(sha256, body.raw, decoded.reason);
    }
    // One row per WABA the delivery is about, so that each WABA's changes are applied in order.
    const parts = splitDeliveryByWaba(decoded.payload, decoded.text, unorderedKey(sha256));
    let stored: StoredDelivery;
    try {
      stored = await this.inbox.storeDelivery(sha256, parts);
    } catch (error) {
      throw this.notStored(sha256, body.raw.length, error);
    }
    if (stored.refused) {
      return this.park(sha256, body.raw, WebhookUnprocessableReason.NOT_STORABLE);
    }
    const duplicate = stored.ids.length === 0;
    // Nothing logged here: the request's own line says it was answered (one line per request), and a line at
    // any level, even one the level filters out, builds the request's child logger on a delivery's hot path.
    if (!duplicate) {
      this.worker.kick();
    }
    return { duplicate };
  }

  private async park(sha256: string, raw: Buffer, reason: WebhookUnprocessableReason): Promise<{ duplicate: boolean }> {
    let parked: boolean;
    try {
      parked = await this.inbox.parkUnprocessable(sha256, unorderedKey(sha256), raw, reason);
    } catch (error) {
      throw this.notStored(sha256, raw.length, error);
    }
    if (parked) {
      this.logger.warn(
        `Webhook delivery ${sha256.slice(0, 12)} of ${raw.length} bytes parked as ${WebhookInboxStatus.UNPROCESSABLE}: ${reason}`,
      );
    }
    return { duplicate: !parked };
  }

  private notStored(sha256: string, size: number, error: unknown): WebhookNotStoredException {
    // Even bounded, PostgreSQL's message can quote the value it refused, i.e. the payload: class and code only.
    const { type, code } = describeError(error);
    this.logger.error(
      `Storing webhook delivery ${sha256.slice(0, 12)} of ${size} bytes failed: ${type}${code ? ` (${code})` : ''}`,
    );
    return new WebhookNotStoredException();
  }
}

/** Ordering key of what names no WABA: such rows wait for nothing and nothing waits for them. */
function unorderedKey(sha256: string): string {
  return `delivery:${sha256}`;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
