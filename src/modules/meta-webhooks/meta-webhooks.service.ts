import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { assertJsonDepth } from 'src/common/http/json-body';

import {
  InvalidWebhookSignatureException,
  MalformedWebhookBodyException,
  MissingWebhookChallengeException,
  WebhookVerificationFailedException,
} from './meta-webhooks.exception';
import { WebhookInboxStatus } from './meta-webhooks.constants';
import { isValidMetaSignature } from './webhook-signature';
import { WebhookInboxWorker } from './webhook-inbox.worker';

const CHALLENGE_PATTERN = /^[\x21-\x7e]{1,256}$/;

/**
 * The receiving side of Meta webhooks (graph-api-reference.md §6.1–6.2): the verification handshake and
 * the signed deliveries, which are stored in the inbox before they are acknowledged and processed by
 * {@link WebhookInboxWorker}.
 */
@Injectable()
export class MetaWebhooksService {
  private readonly logger = new Logger(MetaWebhooksService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly config: ConfigService<AllConfig, true>,
    private readonly worker: WebhookInboxWorker,
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
   * Checks `X-Hub-Signature-256` on the raw bytes, then that they are JSON no deeper than
   * MAX_JSON_DEPTH, then stores the delivery once (unique SHA-256 of the raw body) and kicks the worker.
   * Nothing is stored when the signature is missing or wrong (401) or the body is not acceptable JSON (400).
   */
  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ duplicate: boolean }> {
    if (!rawBody || rawBody.length === 0) {
      throw new InvalidWebhookSignatureException('A signed JSON body is required');
    }
    if (!signature) {
      throw new InvalidWebhookSignatureException('X-Hub-Signature-256 is missing');
    }
    if (!isValidMetaSignature(rawBody, signature, this.config.get('meta.appSecret', { infer: true }))) {
      this.logger.warn(`Webhook delivery of ${rawBody.length} bytes refused: signature does not match`);
      throw new InvalidWebhookSignatureException('X-Hub-Signature-256 does not match the body');
    }
    // Only now, on authenticated bytes: an unsigned caller learns nothing about how we parse. The depth
    // is scanned before JSON.parse so that a signed but hostile body never reaches the inbox or the worker.
    assertJsonDepth(rawBody);
    if (!isJsonObject(rawBody)) {
      throw new MalformedWebhookBodyException();
    }
    const sha256 = createHash('sha256').update(rawBody).digest('hex');
    // PostgreSQL parses the same text into jsonb.
    const rows: Array<{ id: string }> = await this.em.getConnection().execute(
      `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, payload, status, attempts, next_attempt_at)
       VALUES (?, now(), now(), ?, ?::jsonb, ?, 0, now())
       ON CONFLICT (payload_sha256) DO NOTHING
       RETURNING id`,
      [randomUUID(), sha256, rawBody.toString('utf8'), WebhookInboxStatus.PENDING],
    );
    const duplicate = rows.length === 0;
    if (duplicate) {
      this.logger.log(`Webhook delivery ${sha256.slice(0, 12)} is a duplicate; stored once`);
    } else {
      this.logger.log(`Webhook delivery ${sha256.slice(0, 12)} stored as ${rows[0]?.id}`);
      this.worker.kick();
    }
    return { duplicate };
  }
}

// Every Meta delivery is an object ({ object, entry }); anything else would only fail in the worker.
function isJsonObject(rawBody: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(rawBody.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
