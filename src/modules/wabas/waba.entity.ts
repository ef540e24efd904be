import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, Property, rel } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import { Organization } from 'src/modules/organizations/organization.entity';

import { WabaRepository } from './waba.repository';
import {
  MmLiteStatus,
  WabaBanState,
  WabaConnection,
  WabaStatus,
  WebhooksStatus,
  WebhookSubscriptionStatus,
} from './wabas.constants';

/**
 * A WhatsApp Business Account connected to an organization: Meta's fields as last seen, the signals the
 * status is derived from, the MM Lite onboarding state, the sealed business token and the sync state.
 * `status`, `statusReason` and `mmLiteStatus` are derived (wabas/waba-status.ts) and stored so that the
 * list can filter on them with an index.
 */
@Entity({ tableName: 'wabas', repository: () => WabaRepository })
@TenantScoped('organization')
@Index({ properties: ['organization', 'wabaId'] })
@Index({ properties: ['organization', 'status', 'wabaId'] })
@Index({ properties: ['organization', 'mmLiteStatus', 'wabaId'] })
@Index({ properties: ['nextSyncAt'] })
@Index({ properties: ['webhooksNextCheckAt'] })
export class Waba extends BaseEntity<
  | 'name'
  | 'status'
  | 'statusReason'
  | 'mmLiteStatus'
  | 'connection'
  | 'subscriptionStatus'
  | 'syncFailureCount'
  | 'nextSyncAt'
  | 'subscriptionAttempts'
  | 'associatedNumbers'
  | 'criticalAlert'
> {
  [EntityRepositoryType]?: WabaRepository;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  /** Meta's WABA ID; a WABA belongs to at most one organization. */
  @Property({ length: 32, unique: true })
  wabaId: string;

  @Property({ length: 512, nullable: true })
  name: string | null = null;

  // ---- derived, stored for filtering --------------------------------------------------------
  @Enum({ items: () => WabaStatus, nativeEnumName: 'waba_status' })
  status: WabaStatus = WabaStatus.ACTIVE;

  @Property({ length: 64, nullable: true })
  statusReason: string | null = null;

  @Enum({ items: () => MmLiteStatus, nullable: true, nativeEnumName: 'mm_lite_status' })
  mmLiteStatus: MmLiteStatus | null = null;

  // ---- Meta's fields as last read -----------------------------------------------------------
  /** Meta's `status` field (only `ACTIVE` is documented). */
  @Property({ length: 64, nullable: true })
  metaStatus: string | null = null;

  @Property({ length: 8, nullable: true })
  currency: string | null = null;

  @Property({ length: 16, nullable: true })
  timezoneId: string | null = null;

  @Property({ length: 8, nullable: true })
  country: string | null = null;

  @Property({ length: 32, nullable: true })
  accountReviewStatus: string | null = null;

  @Property({ length: 64, nullable: true })
  businessVerificationStatus: string | null = null;

  @Property({ length: 32, nullable: true })
  ownerBusinessId: string | null = null;

  @Property({ length: 512, nullable: true })
  ownerBusinessName: string | null = null;

  /** `health_status` as Meta sent it (camelCased). */
  @Property({ type: 'json', nullable: true })
  health: Record<string, unknown> | null = null;

  /** `health_status.can_send_message` of the WABA entity (AVAILABLE / LIMITED / BLOCKED). */
  @Property({ length: 16, nullable: true })
  healthWabaCanSend: string | null = null;

  // ---- webhook-only signals -----------------------------------------------------------------
  @Enum({ items: () => WabaBanState, nullable: true, nativeEnumName: 'waba_ban_state' })
  banState: WabaBanState | null = null;

  @Property({ length: 64, nullable: true })
  banDate: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  restrictionExpiresAt: Date | null = null;

  @Property({ type: 'json', nullable: true })
  restrictions: Array<Record<string, unknown>> | null = null;

  /** `ACCOUNT_DELETED`, `PARTNER_REMOVED` or `ACCOUNT_OFFBOARDED` when Meta disconnected the WABA. */
  @Property({ length: 32, nullable: true })
  disconnectedReason: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  disconnectedAt: Date | null = null;

  // ---- "as of" times (waba-facts.ts): Meta's time of the newest report applied to a field ----
  // A webhook reports as of its `entry.time`, a read of the WABA as of the moment it was read, a signup
  // as of its own read; an older report never overrides a newer one.

  /** As of when `banState`/`banDate` are known (DISABLED_UPDATE). */
  @Property({ type: 'timestamptz', nullable: true })
  banStateAt: Date | null = null;

  /** As of when `disconnectedReason` is known (disconnecting events, reconnections, reads, signups). */
  @Property({ type: 'timestamptz', nullable: true })
  disconnectionAt: Date | null = null;

  /** As of when `connection` is known (PARTNER_APP_UNINSTALLED, signups, rejected tokens). */
  @Property({ type: 'timestamptz', nullable: true })
  connectionAt: Date | null = null;

  /** As of when `country` is known (country updates, reads). */
  @Property({ type: 'timestamptz', nullable: true })
  countryAt: Date | null = null;

  /** As of when `accountReviewStatus` is known (account_review_update, reads). */
  @Property({ type: 'timestamptz', nullable: true })
  accountReviewStatusAt: Date | null = null;

  /** As of when `restrictions`/`restrictionExpiresAt` are known (ACCOUNT_RESTRICTION). */
  @Property({ type: 'timestamptz', nullable: true })
  restrictionsAt: Date | null = null;

  /** As of when `mmLiteTermsStatus` is known (MM_LITE_TERMS_SIGNED, reads of the portfolio). */
  @Property({ type: 'timestamptz', nullable: true })
  mmLiteTermsStatusAt: Date | null = null;

  /** As of when the fields only reads report are known (name, Meta status, health, MM Lite status…). */
  @Property({ type: 'timestamptz', nullable: true })
  snapshotAt: Date | null = null;

  /**
   * The type of the WABA's newest ACTIVE CRITICAL account alert (waba_alerts), null when none: kept with the
   * alerts, in their transaction, so that the list shows the warning from its own row.
   */
  @Property({ length: 64, nullable: true })
  criticalAlert: string | null = null;

  // ---- MM Lite ------------------------------------------------------------------------------
  /** `marketing_messages_onboarding_status` as Meta spells it. */
  @Property({ length: 64, nullable: true })
  mmLiteMetaStatus: string | null = null;

  /** Business portfolio terms status (`TERM_OF_SERVICE_SIGNED`, `REQUEST_SENT`, `NOT_STARTED`). */
  @Property({ length: 32, nullable: true })
  mmLiteTermsStatus: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  mmLiteSetupStartedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  mmLiteLastCheckedAt: Date | null = null;

  // ---- connection and token -----------------------------------------------------------------
  @Enum({ items: () => WabaConnection, nativeEnumName: 'waba_connection' })
  connection: WabaConnection = WabaConnection.CONNECTED;

  /** The business token, sealed with SecretBox (AES-256-GCM). */
  @Property({ type: 'text', lazy: true })
  accessTokenSealed: string;

  /** SHA-256 of the token, to group WABAs that share one token without decrypting. */
  @Property({ length: 64 })
  accessTokenFingerprint: string;

  @Property({ type: 'timestamptz', nullable: true })
  accessTokenExpiresAt: Date | null = null;

  @Enum({ items: () => WebhookSubscriptionStatus, nativeEnumName: 'webhook_subscription_status' })
  subscriptionStatus: WebhookSubscriptionStatus = WebhookSubscriptionStatus.PENDING;

  @Property({ type: 'json', nullable: true })
  subscriptionError: { code: number | null; message: string } | null = null;

  /** When the background worker should retry a transiently failed subscription; null = not scheduled. */
  @Property({ type: 'timestamptz', nullable: true })
  nextSubscriptionAttemptAt: Date | null = null;

  @Property({ default: 0 })
  subscriptionAttempts = 0;

  // ---- webhook delivery (graph-api-2026.md §A.8): checked by the rounds every few rounds ----------
  /** What the last look at `subscribed_apps` found (a check, or a subscription that succeeded); null: never. */
  @Enum({ items: () => WebhooksStatus, nullable: true, nativeEnumName: 'webhooks_status' })
  webhooksStatus: WebhooksStatus | null = null;

  /** Where Meta delivers the WABA's webhooks instead of our callback (`override_callback_uri`), when OVERRIDDEN. */
  @Property({ length: 512, nullable: true })
  webhooksOverrideUri: string | null = null;

  /**
   * As of when `webhooksStatus` is known (the `webhooks` fact, waba-facts.ts): when the check that found it
   * began, or the successful subscription was sent.
   */
  @Property({ type: 'timestamptz', nullable: true })
  webhooksCheckedAt: Date | null = null;

  /**
   * When a round checks the subscription next (WEBHOOKS_CHECK_INTERVAL_MINUTES after the last look), moved
   * forward by a lease while a check runs; null while the subscription step itself is not done.
   */
  @Property({ type: 'timestamptz', nullable: true })
  webhooksNextCheckAt: Date | null = null;

  /** SHA-256 of the last Embedded Signup code used, so a replayed request is answered without Meta. */
  @Property({ length: 64, nullable: true })
  lastSignupCodeHash: string | null = null;

  // ---- sync state ---------------------------------------------------------------------------
  @Property({ type: 'timestamptz', nullable: true })
  lastSyncedAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  nextSyncAt: Date = new Date();

  @Property({ default: 0 })
  syncFailureCount = 0;

  @Property({ length: 32, nullable: true })
  lastSyncErrorCode: string | null = null;

  /** Instance that claimed the WABA in the current round, until `syncClaimExpiresAt`. */
  @Property({ length: 64, nullable: true })
  syncClaimedBy: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  syncClaimExpiresAt: Date | null = null;

  /**
   * Token of the round's claim (one per claimed batch). A round applies what it read, and releases the
   * claim, only while the row still carries its owner and token: a claim that ran out and was taken over
   * (even by the same instance) is not its own any more.
   */
  @Property({ type: 'uuid', nullable: true })
  syncClaimToken: string | null = null;

  /**
   * When a round last recorded an outcome for the WABA (read, failed, or skipped while Meta throttles it)
   * and released its claim. A full round takes only the WABAs no round has handled since it started, so
   * each is read once in it whichever instance handles it, while a crashed instance's claims come back
   * once their lease expires.
   */
  @Property({ type: 'timestamptz', nullable: true })
  syncHandledAt: Date | null = null;

  /**
   * How many phone numbers are stored under the WABA, kept by a trigger on `phone_numbers` (migration
   * waba_associated_numbers): the list and the detail read it without touching the numbers' table. Never
   * written by the application.
   */
  @Property({ default: 0 })
  associatedNumbers = 0;

  /**
   * The WABA's row of the list answer as JSON text (WabaRowResponseDto's keys in its order), written by a
   * trigger on every change of the columns it shows (migration waba_list_json), so that a list page is read,
   * not shaped, per request. Never loaded by the ORM nor written by the application.
   */
  @Property({ type: 'text', nullable: true, lazy: true, hidden: true })
  listJson?: string | null;

  /**
   * A new WABA of the organization. The relation is built from the organization's id alone (a reference,
   * not a loaded row): connecting a WABA reads and writes nothing of the organizations table.
   */
  static ofOrganization(organizationId: string, wabaId: string, accessTokenSealed: string, fingerprint: string): Waba {
    return new Waba(rel(Organization, organizationId), wabaId, accessTokenSealed, fingerprint);
  }

  constructor(organization: Organization, wabaId: string, accessTokenSealed: string, accessTokenFingerprint: string) {
    super();
    this.organization = organization;
    this.wabaId = wabaId;
    this.accessTokenSealed = accessTokenSealed;
    this.accessTokenFingerprint = accessTokenFingerprint;
  }
}
