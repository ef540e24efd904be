import { Entity, Enum, Index, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';

import { WebhookInboxStatus } from './meta-webhooks.constants';

/**
 * One signed Meta delivery, stored before it is acknowledged (the durable inbox). The SHA-256 of the raw
 * body is unique, so a redelivery of the same payload is stored (and processed) once. Rows are claimed by
 * the worker with `FOR UPDATE SKIP LOCKED`; `nextAttemptAt` is both the retry time of a PENDING row and the
 * lease expiry of a PROCESSING one, so a single index serves the claim.
 */
@Entity({ tableName: 'webhook_inbox' })
@Index({ properties: ['status', 'nextAttemptAt'] })
export class WebhookInboxItem extends BaseEntity<'status' | 'attempts' | 'nextAttemptAt'> {
  /** Hex SHA-256 of the raw request body. */
  @Property({ length: 64, unique: true })
  payloadSha256: string;

  /** The delivery as Meta sent it (parsed JSON); null when it was parked as UNPROCESSABLE. */
  @Property({ type: 'json', nullable: true })
  payload: Record<string, unknown> | null;

  /**
   * The exact bytes of a delivery parked as UNPROCESSABLE (`jsonb` could not hold them), for an operator;
   * null for every other row, whose `payload` is the delivery.
   */
  @Property({ type: 'blob', nullable: true, lazy: true })
  rawBody: Buffer | null = null;

  @Enum({ items: () => WebhookInboxStatus, nativeEnumName: 'webhook_inbox_status' })
  status: WebhookInboxStatus = WebhookInboxStatus.PENDING;

  @Property({ default: 0 })
  attempts = 0;

  /** PENDING: when the next attempt is due; PROCESSING: when the claim's lease expires. */
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  nextAttemptAt: Date = new Date();

  /** Worker instance holding the lease. */
  @Property({ length: 64, nullable: true })
  lockedBy: string | null = null;

  @Property({ length: 1024, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  processedAt: Date | null = null;

  /** Per change: field, event, WABA and what was done (see WebhookChangeOutcome). */
  @Property({ type: 'json', nullable: true })
  outcome: Array<Record<string, unknown>> | null = null;

  constructor(payloadSha256: string, payload: Record<string, unknown> | null) {
    super();
    this.payloadSha256 = payloadSha256;
    this.payload = payload;
  }
}
