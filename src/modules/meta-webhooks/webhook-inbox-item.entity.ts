import { Entity, Enum, Index, Property, Unique } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';

import { WebhookInboxStatus } from './meta-webhooks.constants';

/**
 * The changes of one signed Meta delivery about one WABA, stored before the delivery is acknowledged (the
 * durable inbox): a delivery about several WABAs is one row per WABA. The SHA-256 of the raw body with the
 * ordering key is unique, so a redelivery is stored (and processed) once. The worker claims, per ordering
 * key, only the oldest unfinished row (`FOR UPDATE SKIP LOCKED`, partial queue index), so one WABA's
 * deliveries are applied one at a time and oldest first across instances. `nextAttemptAt` is both the retry
 * time of a PENDING row and the lease expiry of a PROCESSING one, renewed while the holder works on it.
 */
@Entity({ tableName: 'webhook_inbox' })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({
  name: 'webhook_inbox_queue_index',
  expression: `create index "webhook_inbox_queue_index" on "webhook_inbox" ("ordering_key", "created_at", "id") where "status" in ('PENDING', 'PROCESSING')`,
})
@Index({
  name: 'webhook_inbox_unfinished_index',
  expression: `create index "webhook_inbox_unfinished_index" on "webhook_inbox" ("created_at", "id") where "status" in ('PENDING', 'PROCESSING')`,
})
@Index({
  name: 'webhook_inbox_done_index',
  expression: `create index "webhook_inbox_done_index" on "webhook_inbox" ("processed_at") where "status" = 'DONE'`,
})
@Unique({ properties: ['payloadSha256', 'orderingKey'] })
export class WebhookInboxItem extends BaseEntity<'status' | 'attempts' | 'nextAttemptAt'> {
  /** Hex SHA-256 of the raw request body. */
  @Property({ length: 64 })
  payloadSha256: string;

  /**
   * What this row's changes are about: Meta's WABA ID, or `delivery:<sha256>` for a delivery (or the part
   * of one) that names no WABA. Rows with the same key are processed one at a time, oldest first.
   */
  @Property({ length: 80 })
  orderingKey: string;

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

  /** Worker instance holding the lease (for operators; ownership is {@link leaseToken}). */
  @Property({ length: 64, nullable: true })
  lockedBy: string | null = null;

  /**
   * Token of the current claim: a holder applies a change or finishes the row only while the row still
   * carries its token, so an instance whose lease ran out and was claimed again never applies.
   */
  @Property({ type: 'uuid', nullable: true })
  leaseToken: string | null = null;

  @Property({ length: 1024, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  processedAt: Date | null = null;

  /** Per change: field, event, WABA and what was done (see WebhookChangeOutcome). */
  @Property({ type: 'json', nullable: true })
  outcome: Array<Record<string, unknown>> | null = null;

  constructor(payloadSha256: string, orderingKey: string, payload: Record<string, unknown> | null) {
    super();
    this.payloadSha256 = payloadSha256;
    this.orderingKey = orderingKey;
    this.payload = payload;
  }
}
