import { randomInt } from 'node:crypto';

import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import type { Page } from 'src/common/http/pagination';
import { changedValues } from 'src/common/database/bulk-update';
import { SecretBox } from 'src/common/security/secret-box';
import type { Actor } from 'src/modules/organizations/actor';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { MmLiteStatus, WabaStatus } from 'src/modules/wabas/wabas.constants';
import { WabaDisabledException } from 'src/modules/wabas/wabas.exception';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { PhoneNumberChanges } from './phone-number-changes';
import {
  applyPhoneSnapshot,
  observeWebhookFact,
  type PhoneFact,
  phoneDigits,
  phoneState,
  type PhoneState,
} from './phone-number-snapshot';
import { PhoneNumber } from './phone-number.entity';
import { type PhoneNumberListQuery, PhoneNumberRepository, type PhoneSyncRow } from './phone-number.repository';
import {
  DISABLED_WABA_CHANNEL_ACTOR,
  PhoneNumberChangeOutcome,
  RegistrationStatus,
  SendingChannel,
} from './phone-numbers.constants';
import { MmLiteNotOnboardedException } from './phone-numbers.exception';

export type { PhoneNumberListQuery } from './phone-number.repository';

/** What one Graph read of a WABA's numbers said, as of when it began. */
export interface PhoneNumberReading {
  /** The WABA that was read: its internal ID, Meta's ID and its organization. */
  waba: { id: string; wabaId: string; organizationId: string };
  snapshots: PhoneNumberSnapshot[];
  observedAt: Date;
}

/** Meta's decision on a number's display name (`phone_number_name_update`). */
export interface NameDecision {
  /** The number's `name_status` as Graph spells it. */
  nameStatus: string;
  /** The name Meta approved, which becomes the verified name; null leaves the verified name as it is. */
  verifiedName: string | null;
}

/** A number Embedded Signup verified with Meta, to store under its (just upserted) WABA. */
export interface SignupNumber {
  organizationId: string;
  phoneNumberId: string;
  /** The WABA as WabasService.upsertForSignup stored it in the same transaction. */
  waba: WabaView;
  snapshot: PhoneNumberSnapshot;
  /**
   * The number as PhoneNumberRepository.findForSignup read it in the same transaction (null: not stored, so
   * created here); it must be the organization's, under `waba`.
   */
  stored: Readonly<PhoneNumber> | null;
  /** When the retry job registers it if the connection's own attempt does not finish (a lease). */
  registrationDueAt: Date;
  context: ChangeContext;
}

/**
 * The phone numbers' owner: the only writer of `phone_numbers` for other modules. Reads are scoped to an
 * organization (or bounded by a WABA the caller resolved) and read-only; every change is a named
 * transition that runs in the caller's transaction when there is one ({@link Transactions.run}), audits
 * itself and queues its events for after the commit. The connection is {@link EmbeddedSignupService}'s,
 * the registration {@link RegistrationService}'s.
 *
 * Row-lock order: a WABA before its numbers. A WABA change locks the WABA, then (when it is DISABLED) its
 * MM_LITE numbers; a channel switch locks the WABA FOR SHARE, then the number; a change of a number alone
 * locks that number only.
 */
@Injectable()
export class PhoneNumbersService implements OnModuleInit {
  private readonly logger = new Logger(PhoneNumbersService.name);

  constructor(
    private readonly numbers: PhoneNumberRepository,
    private readonly changes: PhoneNumberChanges,
    private readonly transactions: Transactions,
    private readonly wabas: WabasService,
    private readonly secrets: SecretBox,
  ) {}

  /** Makes every change that leaves a WABA DISABLED take its numbers off MM Lite in the same transaction. */
  onModuleInit(): void {
    this.wabas.whenDisabled((disabled) => this.leaveMmLiteAll(disabled));
  }

  /** The number if it belongs to the organization (404 otherwise), with its WABA. */
  async getForOrganization(organizationId: string, phoneNumberId: string): Promise<Readonly<PhoneNumber>> {
    const phone = await this.numbers.findOwned(organizationId, phoneNumberId);
    if (!phone) {
      throw new NotFoundDomainException('Phone number', phoneNumberId);
    }
    return phone;
  }

  /** Numbers of the organization ordered by phone number ID, optionally of one WABA or channel. */
  async list(organizationId: string, query: PhoneNumberListQuery): Promise<Page<Readonly<PhoneNumber>>> {
    return this.numbers.page(organizationId, query);
  }

  /** Numbers of one WABA, by Meta's WABA ID, in phone number ID order (the MM Lite panel). */
  async listByWaba(wabaId: string): Promise<Array<Readonly<PhoneNumber>>> {
    return this.numbers.listByWaba(wabaId);
  }

  /**
   * Meta IDs of the numbers stored under these WABAs (named by row and Meta ID), by WABA's Meta ID (the sync
   * rounds' multi-ID reads).
   */
  async phoneNumberIdsByWaba(wabas: ReadonlyArray<{ rowId: string; wabaId: string }>): Promise<Map<string, string[]>> {
    return this.numbers.phoneNumberIdsByWaba(wabas);
  }

  /** Finds a WABA's number by Meta ID or, failing that, by the digits of its display number (webhooks). */
  async findForWebhook(
    waba: { id: string },
    phoneNumberId: string | null,
    displayPhoneNumber: string | null,
  ): Promise<Readonly<PhoneNumber> | null> {
    if (phoneNumberId) {
      return this.numbers.findInWaba(waba.id, { phoneNumberId });
    }
    const digits = phoneDigits(displayPhoneNumber);
    return digits ? this.numbers.findInWaba(waba.id, { digits }) : null;
  }

  /**
   * Switches the sending channel (product-spec §2.6): to MM_LITE only when the WABA is ACTIVE and
   * ONBOARDED; back to CLOUD_API always. Audited; a no-op switch records nothing. The WABA is checked under
   * a FOR SHARE lock held until the switch commits, so a disable cannot commit in between: it waits, then
   * takes the number back off MM Lite in its own transaction.
   */
  async changeSendingChannel(
    organizationId: string,
    phoneNumberId: string,
    channel: SendingChannel,
    actor: Actor,
  ): Promise<Readonly<PhoneNumber>> {
    const owned = await this.getForOrganization(organizationId, phoneNumberId);
    const context: ChangeContext = { source: ChangeSource.API, actor };
    const updated = await this.transactions.run(async () => {
      const waba = await this.wabas.lockForShare(owned.waba.wabaId);
      if (waba && channel === SendingChannel.MM_LITE) {
        if (waba.status === WabaStatus.DISABLED) {
          throw new WabaDisabledException(waba.wabaId, waba.statusReason);
        }
        if (waba.mmLiteStatus !== MmLiteStatus.ONBOARDED) {
          throw new MmLiteNotOnboardedException(waba.wabaId, waba.mmLiteStatus);
        }
      }
      const phone = await this.numbers.lock({ phoneNumberId });
      if (!phone) {
        return null;
      }
      const before = phoneState(phone);
      phone.sendingChannel = channel;
      this.transactions.publishAfterCommit(...this.changes.record(phone, before, context));
      return phone;
    });
    return updated ?? owned;
  }

  /** `phone_number_name_update`: Meta's decision on the display name, as of `observedAt` (STALE if older). */
  async applyNameDecision(
    phoneNumberId: string,
    decision: NameDecision,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<PhoneNumberChangeOutcome> {
    return this.applyWebhookFact(phoneNumberId, 'nameStatus', observedAt, context, (phone) => {
      phone.nameStatus = decision.nameStatus;
      if (decision.verifiedName) {
        phone.verifiedName = decision.verifiedName.slice(0, 512);
      }
    });
  }

  /** `phone_number_quality_update` THROUGHPUT_UPGRADE: the number has high throughput as of `observedAt`. */
  async applyThroughputUpgrade(
    phoneNumberId: string,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<PhoneNumberChangeOutcome> {
    return this.applyWebhookFact(phoneNumberId, 'throughput', observedAt, context, (phone) => {
      phone.throughputLevel = 'HIGH';
    });
  }

  /**
   * A quality event that says the rating or limit changed without carrying them: records the webhook's
   * time unless a newer rating is applied (STALE); the caller re-reads the number for the values.
   */
  async recordQualityNotice(
    phoneNumberId: string,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<PhoneNumberChangeOutcome> {
    return this.applyWebhookFact(phoneNumberId, 'quality', observedAt, context, null);
  }

  /**
   * Applies Graph reads of WABAs' numbers (the sync: one reading, or a whole re-sync chunk) in the caller's
   * transaction, each as of when it was read (a field a newer webhook set keeps its value), with one
   * row-lock query for all of them; audits what changed and queues the events for after the commit.
   *
   * Each WABA's snapshots apply only to the numbers stored under that WABA, hence of its organization:
   * Meta reports numbers by ID, and a number it now lists under another WABA (a migration, possibly to
   * another organization's WABA) keeps its stored record, neither changed by nor moved to the WABA that
   * reported it, since what a WABA's read says is that WABA's tenant's business. It is logged for
   * operators; moving a number between WABAs is a new connection through Embedded Signup. Numbers not
   * stored at all are ignored.
   */
  async applyReadings(readings: PhoneNumberReading[], context: ChangeContext): Promise<void> {
    const ids = readings.flatMap((reading) => reading.snapshots.map((snapshot) => snapshot.id));
    if (ids.length === 0) {
      return;
    }
    await this.transactions.run(async () => {
      // Plain rows, not entities: a re-sync chunk applies hundreds of numbers, and most change nothing visible.
      const phones = await this.numbers.lockForSync(
        ids,
        readings.map((reading) => reading.waba),
      );
      // By Meta ID, unique across the table (no key built per number); a row counts only under the WABA
      // that reported it.
      const stored = new Map<string, PhoneSyncRow>();
      for (const phone of phones) {
        stored.set(phone.phoneNumberId, phone);
      }
      // The numbers a snapshot applies to, as read (before the first snapshot applied to each).
      const read = new Map<string, PhoneSyncRow>();
      const elsewhere: Array<{ phoneNumberId: string; wabaId: string }> = [];
      for (const { waba, snapshots, observedAt } of readings) {
        for (const snapshot of snapshots) {
          const row = stored.get(snapshot.id);
          if (!row || row.waba.id !== waba.id) {
            elsewhere.push({ phoneNumberId: snapshot.id, wabaId: waba.wabaId });
            continue;
          }
          // The row carries every field the snapshot rules and the audit read (PhoneSyncRow).
          const phone = row as PhoneNumber;
          let before: PhoneState;
          if (read.has(row.id)) {
            before = phoneState(phone);
          } else {
            // The copy as read is the number's state before this snapshot, audited fields included.
            const copy = { ...row };
            read.set(row.id, copy);
            before = { fields: copy, sendingChannel: copy.sendingChannel };
          }
          applyPhoneSnapshot(phone, snapshot, observedAt);
          this.transactions.publishAfterCommit(...this.changes.record(phone, before, context));
        }
      }
      const changes: Array<{ id: string; fields: Partial<PhoneSyncRow> }> = [];
      for (const phone of phones) {
        const before = read.get(phone.id);
        if (before) {
          changes.push({ id: phone.id, fields: changedValues(before, phone, PhoneNumberRepository.syncFields()) });
        }
      }
      const write = this.numbers.syncedFieldsWrite(changes);
      if (write) {
        // With the transaction's other bulk writes (a round's WABAs), as one statement at the commit: the
        // numbers stay locked until then, and nothing in the transaction reads these fields again.
        await this.transactions.writeBeforeCommit(write);
      }
      await this.warnOfNumbersStoredElsewhere(elsewhere);
    });
  }

  /**
   * The rule of a disabled WABA, inside the transaction of the change that left it DISABLED (its row
   * locked): switches its MM_LITE numbers back to CLOUD_API (product-spec §2.6: a disabled WABA cannot stay
   * on MM Lite, and its numbers could not be switched to it again), each audited as SENDING_CHANNEL_CHANGED
   * with the change's source and {@link DISABLED_WABA_CHANNEL_ACTOR}. Idempotent: numbers already on
   * CLOUD_API are not touched. Registered with {@link WabasService.whenDisabled}.
   */
  async leaveMmLite(waba: { id: string; wabaId: string }, context: ChangeContext): Promise<void> {
    await this.leaveMmLiteAll([{ waba, context }]);
  }

  /**
   * {@link leaveMmLite} for several disabled WABAs at once (a batch of webhook changes), their numbers locked
   * with one statement; each number is audited with the context of its WABA's change.
   */
  async leaveMmLiteAll(
    disabled: ReadonlyArray<{ waba: { id: string; wabaId: string }; context: ChangeContext }>,
  ): Promise<void> {
    const byRowId = new Map(disabled.map((item) => [item.waba.id, item]));
    await this.transactions.run(async () => {
      const phones = await this.numbers.lockOnChannel([...byRowId.keys()], SendingChannel.MM_LITE);
      for (const phone of phones) {
        const item = byRowId.get(phone.waba.id);
        if (!item) {
          continue;
        }
        const rule: ChangeContext = {
          source: item.context.source,
          actor: DISABLED_WABA_CHANNEL_ACTOR,
          occurredAt: item.context.occurredAt,
        };
        const before = phoneState(phone);
        phone.sendingChannel = SendingChannel.CLOUD_API;
        this.transactions.publishAfterCommit(...this.changes.record(phone, before, rule));
        this.logger.log(`WABA ${item.waba.wabaId} disabled: number ${phone.phoneNumberId} switched back to CLOUD_API`);
      }
    });
  }

  /**
   * Embedded Signup's number, in the connection's transaction after its checks that no other organization
   * or WABA holds it: creates it (with a generated PIN, audited PHONE_NUMBER_ADDED) or refreshes the stored
   * one from Meta's read; either way due for registration at `registrationDueAt` unless registered.
   */
  async storeFromSignup(input: SignupNumber): Promise<{ phone: Readonly<PhoneNumber>; created: boolean }> {
    // Joins the connection's transaction: the new number is persisted on its EntityManager.
    return this.transactions.run((em) => Promise.resolve(this.storeSignupNumber(em, input)));
  }

  private storeSignupNumber(em: EntityManager, input: SignupNumber): { phone: PhoneNumber; created: boolean } {
    if (input.stored) {
      // Read by findForSignup in this transaction: the entity of its unit of work, changed in place.
      const existing = input.stored as PhoneNumber;
      applyPhoneSnapshot(existing, input.snapshot);
      if (existing.registrationStatus !== RegistrationStatus.REGISTERED) {
        existing.nextRegistrationAttemptAt = input.registrationDueAt;
      }
      return { phone: existing, created: false };
    }
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    // The WABA's organization is the signup's: upsertForSignup stored it for that organization.
    const phone = new PhoneNumber(input.waba.organization, input.waba, input.phoneNumberId, this.secrets.seal(pin));
    applyPhoneSnapshot(phone, input.snapshot);
    phone.nextRegistrationAttemptAt = input.registrationDueAt;
    em.persist(phone);
    this.transactions.publishAfterCommit(...this.changes.recordAdded(phone, input.context));
    return { phone, created: true };
  }

  /**
   * Applies a webhook's report of one fact of a number under its row lock, fenced by the worker's lease:
   * STALE when the fact shows a newer report, UNKNOWN when the number is gone.
   */
  private async applyWebhookFact(
    phoneNumberId: string,
    fact: PhoneFact,
    observedAt: Date,
    context: ChangeContext,
    apply: ((phone: PhoneNumber) => void) | null,
  ): Promise<PhoneNumberChangeOutcome> {
    return this.transactions.run(async (em) => {
      await context.fence?.(em);
      const phone = await this.numbers.lock({ phoneNumberId });
      if (!phone) {
        return PhoneNumberChangeOutcome.UNKNOWN;
      }
      const before = phoneState(phone);
      if (!observeWebhookFact(phone, fact, observedAt, apply && (() => apply(phone)))) {
        return PhoneNumberChangeOutcome.STALE;
      }
      this.transactions.publishAfterCommit(...this.changes.record(phone, before, context));
      return PhoneNumberChangeOutcome.APPLIED;
    });
  }

  /** Logs the numbers a WABA's read reported that are stored under another WABA (left unchanged). */
  private async warnOfNumbersStoredElsewhere(
    reported: Array<{ phoneNumberId: string; wabaId: string }>,
  ): Promise<void> {
    if (reported.length === 0) {
      return;
    }
    const storedUnder = await this.numbers.wabaIdsOf(reported.map((entry) => entry.phoneNumberId));
    for (const { phoneNumberId, wabaId } of reported) {
      const owner = storedUnder.get(phoneNumberId);
      if (owner && owner !== wabaId) {
        this.logger.warn(
          `Phone number ${phoneNumberId}: Meta lists it under WABA ${wabaId} but it is connected under WABA ${owner}; left unchanged`,
        );
      }
    }
  }
}
