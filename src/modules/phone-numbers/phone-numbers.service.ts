import { createHash, randomInt } from 'node:crypto';

import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';

import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import type { DomainEvent } from 'src/common/events/domain-event';
import { DomainEventBus } from 'src/common/events/domain-event-bus';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { domainExceptionFromMeta } from 'src/common/exceptions/meta-failure';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { PhoneNumberSnapshot, WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { Organization } from 'src/modules/organizations/organization.entity';
import type { Waba } from 'src/modules/wabas/waba.entity';
import {
  ChangeSource,
  MmLiteStatus,
  WabaConnection,
  WabaStatus,
  WebhookSubscriptionStatus,
} from 'src/modules/wabas/wabas.constants';
import { WabaDisabledException } from 'src/modules/wabas/wabas.exception';
import { type ChangeContext, WabasService } from 'src/modules/wabas/wabas.service';

import { PhoneNumberAddedEvent } from './events/phone-number-added.event';
import { PhoneNumberUpdatedEvent } from './events/phone-number-updated.event';
import { SendingChannelChangedEvent } from './events/sending-channel-changed.event';
import { applyPhoneSnapshot, PHONE_META_FIELDS, phoneDigits } from './phone-number-snapshot';
import { PhoneNumber } from './phone-number.entity';
import {
  ONBOARDING_STEP_LEASE_MS,
  REGISTRATION_MAX_AUTO_ATTEMPTS,
  REGISTRATION_RETRY_BASE_MS,
  RegistrationStatus,
  SendingChannel,
} from './phone-numbers.constants';
import {
  AlreadyConnectedException,
  MmLiteNotOnboardedException,
  PhoneNumberNotInWabaException,
  SignupCodeRejectedException,
  WabaNotGrantedException,
} from './phone-numbers.exception';

/** What the front end posts after Embedded Signup. */
export interface ConnectInput {
  code: string;
  wabaId: string;
  phoneNumberId: string;
  businessId?: string;
}

/** Result of a connection: the records and whether the number is new to the organization. */
export interface ConnectResult {
  phoneNumber: PhoneNumber;
  waba: Waba;
  created: boolean;
}

/** Filters of the number list. */
export interface PhoneNumberListQuery {
  wabaId?: string;
  sendingChannel?: SendingChannel;
  limit?: number;
  cursor?: string;
}

// Meta codes for a refused signup code are 100 (used/expired/invalid) and, for bad app credentials, 1/101.
const CODE_REJECTION_CLASSES = new Set([
  MetaGatewayErrorCode.INVALID_REQUEST,
  MetaGatewayErrorCode.AUTH_INVALID,
  MetaGatewayErrorCode.PERMISSION_DENIED,
  MetaGatewayErrorCode.NOT_FOUND,
]);

/**
 * Phone numbers: the Embedded Signup connection (product-spec §2.1), reads scoped to an organization,
 * Cloud API registration with durable background retries, the sending channel, and the change mechanism
 * webhooks and the re-sync use for numbers.
 */
@Injectable()
export class PhoneNumbersService {
  private readonly logger = new Logger(PhoneNumbersService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Connects a number (and its WABA when new) from an Embedded Signup result. Serialized per number with
   * a transaction-scoped advisory lock, so concurrent identical requests make one WABA and one number and
   * the losers answer from the stored records; a replayed code is answered without calling Meta. Once the
   * code is exchanged the records are stored before the subscription and registration steps, so a failing
   * step leaves its state and Meta's error on the records and is retried in the background.
   */
  async connect(organizationId: string, input: ConnectInput, actor: string): Promise<ConnectResult> {
    const context: ChangeContext = { source: ChangeSource.API, actor };
    const codeHash = createHash('sha256').update(input.code).digest('hex');
    const published: DomainEvent[] = [];

    const stored = await this.em.fork().transactional(async (em) => {
      await em.execute('SELECT pg_advisory_xact_lock(hashtext(?))', [`connect:${input.phoneNumberId}`]);
      await em.execute('SELECT pg_advisory_xact_lock(hashtext(?))', [`connect-waba:${input.wabaId}`]);

      const existingNumber = await em.findOne(
        PhoneNumber,
        { phoneNumberId: input.phoneNumberId },
        // Across tenants: a number belongs to at most one organization, so signup must see another's to refuse it.
        { ...ACROSS_TENANTS, populate: ['waba'] },
      );
      if (existingNumber && existingNumber.organization.id !== organizationId) {
        throw new AlreadyConnectedException('Phone number', input.phoneNumberId);
      }
      const existingWaba = await this.wabas.findByWabaIdIn(em, input.wabaId);
      if (existingWaba && existingWaba.organization.id !== organizationId) {
        throw new AlreadyConnectedException('WABA', input.wabaId);
      }
      if (existingNumber && existingNumber.waba.wabaId !== input.wabaId) {
        throw new PhoneNumberNotInWabaException(input.phoneNumberId, input.wabaId);
      }
      if (existingNumber && existingNumber.waba.lastSignupCodeHash === codeHash) {
        // The same request again (a retry or a concurrent twin): the code is spent, the answer is stored.
        return { phoneNumber: existingNumber, waba: existingNumber.waba, created: false, token: null };
      }

      const token = await this.exchangeCode(input.code);
      const inspection = await this.meta.inspectToken(token.accessToken).catch((error: unknown) => {
        throw toPublicError(error);
      });
      if (!inspection.isValid) {
        throw new SignupCodeRejectedException('the exchanged token is not valid');
      }
      if (!inspection.grantedWabaIds.includes(input.wabaId)) {
        throw new WabaNotGrantedException(input.wabaId);
      }
      const [wabaSnapshot, numbers] = await Promise.all([
        this.meta.getWaba(input.wabaId, token.accessToken),
        this.meta.listPhoneNumbers(input.wabaId, token.accessToken),
      ]).catch((error: unknown) => {
        throw toPublicError(error);
      });
      const numberSnapshot = numbers.find((number) => number.id === input.phoneNumberId);
      if (!numberSnapshot) {
        throw new PhoneNumberNotInWabaException(input.phoneNumberId, input.wabaId);
      }

      const tokenExpiresAt =
        inspection.expiresAt ?? (token.expiresInSeconds ? new Date(Date.now() + token.expiresInSeconds * 1000) : null);
      const upserted = await this.wabas.upsertForSignup(em, {
        organizationId,
        snapshot: withBusiness(wabaSnapshot, input.businessId),
        token: token.accessToken,
        tokenExpiresAt,
        signupCodeHash: codeHash,
        context,
      });
      published.push(...upserted.events);
      // Due at once for the background worker: if this process dies before the steps below finish, the
      // worker completes them (the steps clear these when they succeed or fail for good).
      const stepLease = new Date(Date.now() + ONBOARDING_STEP_LEASE_MS);
      if (upserted.waba.subscriptionStatus !== WebhookSubscriptionStatus.SUBSCRIBED) {
        upserted.waba.nextSubscriptionAttemptAt = stepLease;
      }

      let phoneNumber = existingNumber;
      if (!phoneNumber) {
        const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
        phoneNumber = new PhoneNumber(
          em.getReference(Organization, organizationId),
          upserted.waba,
          input.phoneNumberId,
          this.secrets.seal(pin),
        );
        applyPhoneSnapshot(phoneNumber, numberSnapshot);
        phoneNumber.nextRegistrationAttemptAt = stepLease;
        em.persist(phoneNumber);
        this.audit.record(em, {
          organizationId,
          wabaId: input.wabaId,
          phoneNumberId: input.phoneNumberId,
          type: AuditEventType.PHONE_NUMBER_ADDED,
          source: ChangeSource.API,
          actor,
          before: null,
          after: { displayPhoneNumber: phoneNumber.displayPhoneNumber, sendingChannel: phoneNumber.sendingChannel },
        });
        published.push(new PhoneNumberAddedEvent(organizationId, input.wabaId, input.phoneNumberId));
      } else {
        applyPhoneSnapshot(phoneNumber, numberSnapshot);
        if (phoneNumber.registrationStatus !== RegistrationStatus.REGISTERED) {
          phoneNumber.nextRegistrationAttemptAt = stepLease;
        }
      }
      return { phoneNumber, waba: upserted.waba, created: !existingNumber, token: token.accessToken };
    });
    this.events.publish(...published);
    if (!stored.token) {
      return { phoneNumber: stored.phoneNumber, waba: stored.waba, created: false };
    }

    // The records are committed; the two POSTs below only update their step's state.
    const token = stored.token;
    const stepEvents: DomainEvent[] = [];
    const steps = await this.em.fork().transactional(async (em) => {
      const phone = await em.findOneOrFail(
        PhoneNumber,
        { id: stored.phoneNumber.id },
        { populate: ['waba', 'pinSealed'], lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (phone.waba.subscriptionStatus !== WebhookSubscriptionStatus.SUBSCRIBED) {
        await this.subscribe(em, phone.waba, token, context, stepEvents);
      }
      if (phone.registrationStatus !== RegistrationStatus.REGISTERED) {
        await this.register(em, phone, token, context, stepEvents);
      }
      await em.flush();
      return phone;
    });
    this.events.publish(...stepEvents);
    return { phoneNumber: steps, waba: steps.waba, created: stored.created };
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
      const [after] = decodeCursor(query.cursor, 1);
      where.phoneNumberId = { $gt: String(after) };
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
   * `POST .../register`: registers the number again now, with its stored PIN. The outcome is stored on the
   * number either way; a Meta failure is then answered as the matching problem.
   */
  async retryRegistration(organizationId: string, phoneNumberId: string, actor: string): Promise<PhoneNumber> {
    const owned = await this.getForOrganization(organizationId, phoneNumberId);
    this.assertCanCallMeta(owned.waba);
    const context: ChangeContext = { source: ChangeSource.API, actor };
    const stepEvents: DomainEvent[] = [];
    const { phone, failure } = await this.em.fork().transactional(async (em) => {
      const locked = await em.findOneOrFail(
        PhoneNumber,
        { id: owned.id },
        { populate: ['waba', 'pinSealed'], lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      const error = await this.register(em, locked, await this.wabas.revealToken(locked.waba), context, stepEvents, {
        manual: true,
      });
      await em.flush();
      return { phone: locked, failure: error };
    });
    this.events.publish(...stepEvents);
    if (failure) {
      throw toPublicError(failure);
    }
    return phone;
  }

  /**
   * Switches the sending channel (product-spec §2.6): to MM_LITE only when the WABA is ACTIVE and
   * ONBOARDED; back to CLOUD_API always. Audited; a no-op switch records nothing.
   */
  async changeSendingChannel(
    organizationId: string,
    phoneNumberId: string,
    channel: SendingChannel,
    actor: string,
  ): Promise<PhoneNumber> {
    const owned = await this.getForOrganization(organizationId, phoneNumberId);
    if (channel === SendingChannel.MM_LITE) {
      if (owned.waba.status === WabaStatus.DISABLED) {
        throw new WabaDisabledException(owned.waba.wabaId, owned.waba.statusReason);
      }
      if (owned.waba.mmLiteStatus !== MmLiteStatus.ONBOARDED) {
        throw new MmLiteNotOnboardedException(owned.waba.wabaId, owned.waba.mmLiteStatus);
      }
    }
    const updated = await this.applyChange(phoneNumberId, { source: ChangeSource.API, actor }, (phone) => {
      phone.sendingChannel = channel;
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
      const locked = await em.findOne(
        PhoneNumber,
        { phoneNumberId },
        // Across tenants: webhooks and the sync come by Meta ID; API callers checked ownership first.
        { ...ACROSS_TENANTS, populate: ['waba'], lockMode: LockMode.PESSIMISTIC_WRITE },
      );
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

  /** Applies Graph reads of a WABA's numbers (sync), auditing what changed; unknown numbers are ignored. */
  async applySnapshots(snapshots: PhoneNumberSnapshot[], context: ChangeContext): Promise<number> {
    if (snapshots.length === 0) {
      return 0;
    }
    return this.wabas.inTransaction((em) => this.applySnapshotsIn(em, snapshots, context));
  }

  /**
   * {@link applySnapshots} inside the caller's transaction: one row-lock query for all the numbers of a
   * reading (or of a whole re-sync chunk) rather than a transaction each; returns the events to publish
   * after commit.
   */
  async applySnapshotsIn(
    em: EntityManager,
    snapshots: PhoneNumberSnapshot[],
    context: ChangeContext,
  ): Promise<{ result: number; events: DomainEvent[] }> {
    if (snapshots.length === 0) {
      return { result: 0, events: [] };
    }
    const phones = await em.find(
      PhoneNumber,
      { phoneNumberId: { $in: snapshots.map((snapshot) => snapshot.id) } },
      // Across tenants: the snapshots come from Meta reads of WABAs the caller already resolved (sync).
      {
        ...ACROSS_TENANTS,
        populate: ['waba'],
        lockMode: LockMode.PESSIMISTIC_WRITE,
        orderBy: { phoneNumberId: 'asc' },
      },
    );
    const byId = new Map(phones.map((phone) => [phone.phoneNumberId, phone]));
    const events: DomainEvent[] = [];
    for (const snapshot of snapshots) {
      const phone = byId.get(snapshot.id);
      if (phone) {
        const before = phoneState(phone);
        applyPhoneSnapshot(phone, snapshot);
        events.push(...this.recordPhoneChanges(em, phone, before, context));
      }
    }
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

  /**
   * The durable background retries of onboarding steps that failed transiently: registrations and webhook
   * subscriptions whose next attempt is due. Rows are claimed with FOR UPDATE SKIP LOCKED, so several
   * instances share the work; a crash leaves the row due and it is picked up again.
   */
  async runDueOnboardingRetries(now: Date = new Date(), limit = 20): Promise<{ attempted: number }> {
    let attempted = 0;
    const context: ChangeContext = { source: ChangeSource.SYNC, actor: 'system' };
    for (let index = 0; index < limit; index++) {
      const stepEvents: DomainEvent[] = [];
      const done = await this.em.fork().transactional(async (em) => {
        const [phone] = await em.find(
          PhoneNumber,
          {
            registrationStatus: { $in: [RegistrationStatus.PENDING, RegistrationStatus.FAILED] },
            nextRegistrationAttemptAt: { $lte: now },
          },
          {
            // Across tenants: the retry job serves every organization's due numbers.
            ...ACROSS_TENANTS,
            populate: ['waba', 'pinSealed'],
            limit: 1,
            lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
            orderBy: { nextRegistrationAttemptAt: 'asc' },
          },
        );
        if (phone) {
          if (phone.waba.connection === WabaConnection.REAUTH_REQUIRED) {
            phone.nextRegistrationAttemptAt = null;
          } else {
            await this.register(em, phone, await this.wabas.revealToken(phone.waba), context, stepEvents);
          }
          await em.flush();
          return true;
        }
        const waba = await this.wabas.claimDueSubscription(em, now);
        if (waba) {
          await this.subscribe(em, waba, await this.wabas.revealToken(waba), context, stepEvents);
          await em.flush();
          return true;
        }
        return false;
      });
      this.events.publish(...stepEvents);
      if (!done) {
        break;
      }
      attempted++;
    }
    return { attempted };
  }

  private assertCanCallMeta(waba: Waba): void {
    if (waba.connection === WabaConnection.REAUTH_REQUIRED) {
      throw domainExceptionFromMeta(new MetaGatewayException(MetaGatewayErrorCode.AUTH_INVALID, 'token rejected'));
    }
  }

  private async exchangeCode(code: string): Promise<{ accessToken: string; expiresInSeconds: number | null }> {
    try {
      return await this.meta.exchangeCode(code);
    } catch (error) {
      if (error instanceof MetaGatewayException && CODE_REJECTION_CLASSES.has(error.code)) {
        throw new SignupCodeRejectedException(error.details.metaDetails ?? 'used, expired or invalid');
      }
      throw toPublicError(error);
    }
  }

  private async subscribe(
    em: EntityManager,
    waba: Waba,
    token: string,
    context: ChangeContext,
    events: DomainEvent[],
  ): Promise<void> {
    waba.subscriptionAttempts += 1;
    try {
      await this.meta.subscribeApp(waba.wabaId, token);
      waba.subscriptionStatus = WebhookSubscriptionStatus.SUBSCRIBED;
      waba.subscriptionError = null;
      waba.nextSubscriptionAttemptAt = null;
    } catch (error) {
      const failure = describeFailure(error);
      this.logger.warn(
        `Subscribing the app to WABA ${waba.wabaId} failed: ${failure.classification} ${failure.code ?? ''}`,
      );
      waba.subscriptionStatus = WebhookSubscriptionStatus.FAILED;
      waba.subscriptionError = { code: failure.code, message: failure.message };
      waba.nextSubscriptionAttemptAt = failure.retryable ? retryAt(waba.subscriptionAttempts) : null;
      events.push(...this.markReauthIfRejected(em, waba, error, context));
    }
    em.persist(waba);
  }

  private async register(
    em: EntityManager,
    phone: PhoneNumber,
    token: string,
    context: ChangeContext,
    events: DomainEvent[],
    options: { manual?: boolean } = {},
  ): Promise<unknown> {
    const before = phone.registrationStatus;
    const fieldsBefore = phoneState(phone).fields;
    let failed: unknown = null;
    phone.registrationAttempts = options.manual ? 1 : phone.registrationAttempts + 1;
    try {
      if (!phone.pinSealed) {
        // Across tenants: a lazy column of a number the caller already holds (the retry job has no scope).
        await em.populate(phone, ['pinSealed'], { ...ACROSS_TENANTS });
      }
      await this.meta.registerPhoneNumber(phone.phoneNumberId, this.secrets.open(phone.pinSealed), token);
      phone.registrationStatus = RegistrationStatus.REGISTERED;
      phone.registrationErrorCode = null;
      phone.registrationErrorMessage = null;
      phone.nextRegistrationAttemptAt = null;
      // Registration changes Meta's view of the number (status, platform type): read it back rather than guess.
      const snapshot = await this.meta.getPhoneNumber(phone.phoneNumberId, token).catch((error: unknown) => {
        // Registration itself succeeded; the next sync brings the number's new fields instead.
        this.logger.warn(
          `Reading ${phone.phoneNumberId} back after registration failed: ${describeFailure(error).classification}`,
        );
        return null;
      });
      if (snapshot) {
        applyPhoneSnapshot(phone, snapshot);
      }
    } catch (error) {
      failed = error;
      const failure = describeFailure(error);
      this.logger.warn(`Registering ${phone.phoneNumberId} failed: ${failure.classification} ${failure.code ?? ''}`);
      phone.registrationStatus = RegistrationStatus.FAILED;
      phone.registrationErrorCode = failure.code;
      phone.registrationErrorMessage = failure.message;
      phone.nextRegistrationAttemptAt =
        failure.retryable && phone.registrationAttempts < REGISTRATION_MAX_AUTO_ATTEMPTS
          ? retryAt(phone.registrationAttempts)
          : null;
      events.push(...this.markReauthIfRejected(em, phone.waba, error, context));
    }
    if (before !== phone.registrationStatus) {
      this.audit.record(em, {
        organizationId: phone.organization.id,
        wabaId: phone.waba.wabaId,
        phoneNumberId: phone.phoneNumberId,
        type: AuditEventType.PHONE_NUMBER_UPDATED,
        source: context.source,
        actor: context.actor,
        before: { registrationStatus: before, ...changedFields(fieldsBefore, phone).before },
        after: {
          registrationStatus: phone.registrationStatus,
          registrationErrorCode: phone.registrationErrorCode,
          ...changedFields(fieldsBefore, phone).after,
        },
      });
    }
    em.persist(phone);
    return failed;
  }

  private markReauthIfRejected(em: EntityManager, waba: Waba, error: unknown, context: ChangeContext): DomainEvent[] {
    return error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID
      ? this.wabas.markReauthRequiredIn(em, waba, context)
      : [];
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

function phoneState(phone: PhoneNumber): { fields: Record<string, unknown>; sendingChannel: SendingChannel } {
  return {
    fields: Object.fromEntries(PHONE_META_FIELDS.map((field) => [field, phone[field]])),
    sendingChannel: phone.sendingChannel,
  };
}

function changedFields(
  before: Record<string, unknown>,
  phone: PhoneNumber,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const after = phoneState(phone).fields;
  const keys = Object.keys(after).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
  };
}

function withBusiness(snapshot: WabaSnapshot, businessId: string | undefined): WabaSnapshot {
  return businessId && !snapshot.ownerBusinessId ? { ...snapshot, ownerBusinessId: businessId } : snapshot;
}

function retryAt(attempt: number): Date {
  const delay = REGISTRATION_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1);
  return new Date(Date.now() + delay + Math.floor(Math.random() * 1000));
}

function describeFailure(error: unknown): {
  classification: string;
  code: number | null;
  message: string;
  retryable: boolean;
} {
  if (error instanceof MetaGatewayException) {
    return {
      classification: error.code,
      code: error.metaCode,
      message: error.details.metaDetails ?? error.message,
      retryable: error.code === MetaGatewayErrorCode.TRANSIENT || error.code === MetaGatewayErrorCode.RATE_LIMITED,
    };
  }
  return { classification: 'UNEXPECTED', code: null, message: 'unexpected error', retryable: true };
}

function toPublicError(error: unknown): unknown {
  return error instanceof MetaGatewayException ? domainExceptionFromMeta(error) : error;
}
