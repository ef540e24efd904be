import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';

import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import type { DomainEvent } from 'src/common/events/domain-event';
import { DomainEventBus } from 'src/common/events/domain-event-bus';
import { Transactions } from 'src/common/events/transactions';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import type { Waba } from 'src/modules/wabas/waba.entity';
import { MmLiteStatus, WabaStatus } from 'src/modules/wabas/wabas.constants';
import { WabaDisabledException } from 'src/modules/wabas/wabas.exception';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { PhoneNumberUpdatedEvent } from './events/phone-number-updated.event';
import { SendingChannelChangedEvent } from './events/sending-channel-changed.event';
import { applyPhoneSnapshot, PHONE_META_FIELDS, phoneDigits, phoneState } from './phone-number-snapshot';
import { PhoneNumber } from './phone-number.entity';
import { DISABLED_WABA_CHANNEL_ACTOR, SendingChannel } from './phone-numbers.constants';
import { MmLiteNotOnboardedException } from './phone-numbers.exception';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import type { Actor } from 'src/modules/audit/actor';

/** Filters of the number list. */
export interface PhoneNumberListQuery {
  wabaId?: string;
  sendingChannel?: SendingChannel;
  limit?: number;
  cursor?: string;
}

/**
 * Phone numbers: reads scoped to an organization, the sending channel, and the change mechanism webhooks
 * and the re-sync use for numbers. The connection is {@link EmbeddedSignupService}'s, the registration and
 * subscription steps {@link OnboardingStepsService}'s.
 *
 * Row-lock order: a WABA before its numbers. A WABA change locks the WABA, then (when it is DISABLED) its
 * MM_LITE numbers; a channel switch locks the WABA FOR SHARE, then the number; a change of a number alone
 * locks that number only.
 */
@Injectable()
export class PhoneNumbersService implements OnModuleInit {
  private readonly logger = new Logger(PhoneNumbersService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly wabas: WabasService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly transactions: Transactions,
  ) {}

  /** Makes every change that leaves a WABA DISABLED take its numbers off MM Lite in the same transaction. */
  onModuleInit(): void {
    this.wabas.whenDisabled(async (waba, context) =>
      this.transactions.publishAfterCommit(...(await this.leaveMmLiteIn(this.em, waba, context))),
    );
  }

  /**
   * Inside the transaction of a change that left the WABA DISABLED, with the WABA row locked: switches its
   * MM_LITE numbers back to CLOUD_API (product-spec §2.6: a disabled WABA cannot stay on MM Lite, and its
   * numbers could not be switched to it again), each audited as SENDING_CHANNEL_CHANGED with the change's
   * source and {@link DISABLED_WABA_CHANNEL_ACTOR}. Idempotent: numbers already on CLOUD_API are not
   * touched. Returns the events to publish after commit.
   */
  async leaveMmLiteIn(
    em: EntityManager,
    waba: Pick<Waba, 'id' | 'wabaId'>,
    context: ChangeContext,
  ): Promise<DomainEvent[]> {
    const phones = await em.find(
      PhoneNumber,
      { waba: waba.id, sendingChannel: SendingChannel.MM_LITE },
      // Across tenants: the WABA, already locked by the caller, bounds the rows. Number rows only, in ID order.
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { phoneNumberId: 'asc' } },
    );
    const events: DomainEvent[] = [];
    for (const phone of phones) {
      const before = phoneState(phone);
      phone.sendingChannel = SendingChannel.CLOUD_API;
      events.push(
        ...this.recordPhoneChanges(em, phone, before, {
          source: context.source,
          actor: DISABLED_WABA_CHANNEL_ACTOR,
          occurredAt: context.occurredAt,
        }),
      );
    }
    if (phones.length > 0) {
      this.logger.log(
        `WABA ${waba.wabaId} disabled: numbers ${phones.map((phone) => phone.phoneNumberId).join(', ')} ` +
          'switched back to CLOUD_API',
      );
    }
    return events;
  }

  /** The number if it belongs to the organization (404 otherwise). */
  async getForOrganization(organizationId: string, phoneNumberId: string): Promise<PhoneNumber> {
    // The explicit condition doubles the request's tenant filter (defence in depth).
    const phoneNumber = await this.em.findOne(
      PhoneNumber,
      { phoneNumberId, organization: organizationId },
      { populate: ['waba'] },
    );
    if (!phoneNumber) {
      throw new NotFoundDomainException('Phone number', phoneNumberId);
    }
    return phoneNumber;
  }

  /** Numbers of the organization ordered by phone number ID, optionally of one WABA or channel. */
  async list(organizationId: string, query: PhoneNumberListQuery): Promise<Page<PhoneNumber>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // The explicit condition doubles the tenant filter (defence in depth).
    const where: Record<string, unknown> = { organization: organizationId };
    if (query.wabaId) {
      where.waba = { wabaId: query.wabaId };
    }
    if (query.sendingChannel) {
      where.sendingChannel = query.sendingChannel;
    }
    if (query.cursor) {
      const [after] = decodeCursor(query.cursor, ['metaId']);
      where.phoneNumberId = { $gt: after };
    }
    const rows = await this.em.find(PhoneNumber, where, {
      orderBy: { phoneNumberId: 'asc' },
      limit: limit + 1,
      populate: ['waba'],
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { data: page, nextCursor: rows.length > limit && last ? encodeCursor([last.phoneNumberId]) : null };
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
  ): Promise<PhoneNumber> {
    const owned = await this.getForOrganization(organizationId, phoneNumberId);
    const context: ChangeContext = { source: ChangeSource.API, actor };
    const updated = await this.transactions.run(async (em) => {
      const waba = await this.wabas.lockForShare(owned.waba.wabaId);
      if (waba && channel === SendingChannel.MM_LITE) {
        if (waba.status === WabaStatus.DISABLED) {
          throw new WabaDisabledException(waba.wabaId, waba.statusReason);
        }
        if (waba.mmLiteStatus !== MmLiteStatus.ONBOARDED) {
          throw new MmLiteNotOnboardedException(waba.wabaId, waba.mmLiteStatus);
        }
      }
      const phone = await this.lockIn(em, phoneNumberId);
      if (!phone) {
        return null;
      }
      const before = phoneState(phone);
      phone.sendingChannel = channel;
      this.transactions.publishAfterCommit(...this.recordPhoneChanges(em, phone, before, context));
      return phone;
    });
    return updated ?? owned;
  }

  /**
   * Applies a change to one number under a row lock (webhooks, sync, API): audits every changed Meta field
   * as one PHONE_NUMBER_UPDATED record and a channel switch as SENDING_CHANNEL_CHANGED, in the same
   * transaction; publishes the events after commit. Returns null when the number is unknown.
   */
  async applyChange(
    phoneNumberId: string,
    context: ChangeContext,
    mutate: (phone: PhoneNumber, em: EntityManager) => boolean | void | Promise<boolean | void>,
  ): Promise<PhoneNumber | null> {
    const published: DomainEvent[] = [];
    const phone = await this.em.fork().transactional(async (em) => {
      await context.fence?.(em);
      const locked = await this.lockIn(em, phoneNumberId);
      if (!locked) {
        return null;
      }
      const before = phoneState(locked);
      if ((await mutate(locked, em)) === false) {
        return locked;
      }
      published.push(...this.recordPhoneChanges(em, locked, before, context));
      return locked;
    });
    this.events.publish(...published);
    return phone;
  }

  /**
   * Locks one number FOR UPDATE and reads its WABA without locking it: a lock on the WABA taken here would
   * come after the number's, the reverse of a disable (WABA, then its numbers), and could deadlock with it.
   */
  private async lockIn(em: EntityManager, phoneNumberId: string): Promise<PhoneNumber | null> {
    // Across tenants: webhooks and the sync come by Meta ID; API callers checked ownership first.
    const locked = await em.findOne(
      PhoneNumber,
      { phoneNumberId },
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (locked) {
      await em.populate(locked, ['waba'], { ...ACROSS_TENANTS });
    }
    return locked;
  }

  /**
   * Applies Graph reads of WABAs' numbers inside the caller's transaction (the sync: one reading, or a whole
   * re-sync chunk), each as of when it was read (a field a newer webhook set keeps its value), auditing what changed, with one row-lock query for all of them; returns the events to
   * publish after commit.
   *
   * Each WABA's snapshots apply only to the numbers stored under that WABA, hence of its organization:
   * Meta reports numbers by ID, and a number it now lists under another WABA (a migration, possibly to
   * another organization's WABA) keeps its stored record, neither changed by nor moved to the WABA that
   * reported it, since what a WABA's read says is that WABA's tenant's business. It is logged for
   * operators; moving a number between WABAs is a new connection through Embedded Signup. Numbers not
   * stored at all are ignored.
   */
  async applySnapshotsIn(
    em: EntityManager,
    readings: Array<{ waba: Waba; snapshots: PhoneNumberSnapshot[]; observedAt: Date }>,
    context: ChangeContext,
  ): Promise<{ result: number; events: DomainEvent[] }> {
    const ids = readings.flatMap((reading) => reading.snapshots.map((snapshot) => snapshot.id));
    if (ids.length === 0) {
      return { result: 0, events: [] };
    }
    const phones = await em.find(
      PhoneNumber,
      { phoneNumberId: { $in: ids }, waba: { $in: readings.map((reading) => reading.waba.id) } },
      // Across tenants: the sync applies every organization's WABAs; the WABA condition scopes each number.
      {
        ...ACROSS_TENANTS,
        populate: ['waba'],
        lockMode: LockMode.PESSIMISTIC_WRITE,
        orderBy: { phoneNumberId: 'asc' },
      },
    );
    const stored = new Map(phones.map((phone) => [`${phone.waba.id}/${phone.phoneNumberId}`, phone]));
    const events: DomainEvent[] = [];
    const elsewhere: Array<{ phoneNumberId: string; wabaId: string }> = [];
    for (const { waba, snapshots, observedAt } of readings) {
      for (const snapshot of snapshots) {
        const phone = stored.get(`${waba.id}/${snapshot.id}`);
        if (!phone) {
          elsewhere.push({ phoneNumberId: snapshot.id, wabaId: waba.wabaId });
          continue;
        }
        const before = phoneState(phone);
        applyPhoneSnapshot(phone, snapshot, observedAt);
        events.push(...this.recordPhoneChanges(em, phone, before, context));
      }
    }
    await this.warnOfNumbersStoredElsewhere(em, elsewhere);
    return { result: phones.length, events };
  }

  /** Numbers of one WABA (for the MM Lite panel and the sync). */
  async listByWaba(waba: Waba): Promise<PhoneNumber[]> {
    return this.em.find(PhoneNumber, { waba: waba.id }, { orderBy: { phoneNumberId: 'asc' } });
  }

  /** Finds a number by Meta ID or, failing that, by the digits of its display number within a WABA. */
  async findForWebhook(
    waba: Waba,
    phoneNumberId: string | null,
    displayPhoneNumber: string | null,
  ): Promise<PhoneNumber | null> {
    // Across tenants: the webhook worker has no organization in scope; the WABA it resolved bounds the search.
    if (phoneNumberId) {
      return this.em.findOne(PhoneNumber, { phoneNumberId, waba: waba.id }, { ...ACROSS_TENANTS });
    }
    const digits = phoneDigits(displayPhoneNumber);
    return digits
      ? this.em.findOne(PhoneNumber, { displayPhoneDigits: digits, waba: waba.id }, { ...ACROSS_TENANTS })
      : null;
  }

  /** Logs the numbers a WABA's read reported that are stored under another WABA (left unchanged). */
  private async warnOfNumbersStoredElsewhere(
    em: EntityManager,
    reported: Array<{ phoneNumberId: string; wabaId: string }>,
  ): Promise<void> {
    if (reported.length === 0) {
      return;
    }
    // Raw SQL (not filtered): IDs only, for the log; numbers never connected here are not in the table.
    const rows: Array<{ phone_number_id: string; waba_id: string }> = await em.execute(
      `SELECT p.phone_number_id, w.waba_id FROM phone_numbers p JOIN wabas w ON w.id = p.waba_id
        WHERE p.phone_number_id IN (?)`,
      [reported.map((entry) => entry.phoneNumberId)],
    );
    const storedUnder = new Map(rows.map((row) => [row.phone_number_id, row.waba_id]));
    for (const { phoneNumberId, wabaId } of reported) {
      const owner = storedUnder.get(phoneNumberId);
      if (owner && owner !== wabaId) {
        this.logger.warn(
          `Phone number ${phoneNumberId}: Meta lists it under WABA ${wabaId} but it is connected under WABA ${owner}; left unchanged`,
        );
      }
    }
  }

  private recordPhoneChanges(
    em: EntityManager,
    phone: PhoneNumber,
    before: ReturnType<typeof phoneState>,
    context: ChangeContext,
  ): DomainEvent[] {
    const after = phoneState(phone);
    const events: DomainEvent[] = [];
    const base = {
      organizationId: phone.organization.id,
      wabaId: phone.waba.wabaId,
      phoneNumberId: phone.phoneNumberId,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
    };
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const field of PHONE_META_FIELDS) {
      if (before.fields[field] !== after.fields[field]) {
        changes[field] = { before: before.fields[field], after: after.fields[field] };
      }
    }
    if (Object.keys(changes).length > 0) {
      this.audit.record(em, {
        ...base,
        type: AuditEventType.PHONE_NUMBER_UPDATED,
        before: Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, value.before])),
        after: Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, value.after])),
      });
      events.push(
        new PhoneNumberUpdatedEvent(base.organizationId, base.wabaId, base.phoneNumberId, changes, context.source),
      );
    }
    if (before.sendingChannel !== after.sendingChannel) {
      this.audit.record(em, {
        ...base,
        type: AuditEventType.SENDING_CHANNEL_CHANGED,
        before: { sendingChannel: before.sendingChannel },
        after: { sendingChannel: after.sendingChannel },
      });
      events.push(
        new SendingChannelChangedEvent(
          base.organizationId,
          base.wabaId,
          base.phoneNumberId,
          before.sendingChannel,
          after.sendingChannel,
          context.source,
        ),
      );
    }
    return events;
  }
}
