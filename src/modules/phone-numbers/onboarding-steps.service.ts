import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';

import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import { Transactions } from 'src/common/events/transactions';
import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { WabaSubscriptionService } from 'src/modules/wabas/waba-subscription.service';
import { WabaConnection, WebhookSubscriptionStatus } from 'src/modules/wabas/wabas.constants';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { describeFailure, retryAt, toPublicError } from './meta-step-failure';
import { applyPhoneSnapshot, changedFields, phoneState } from './phone-number-snapshot';
import { PhoneNumber } from './phone-number.entity';
import {
  ONBOARDING_STEP_LEASE_MS,
  REGISTRATION_MAX_AUTO_ATTEMPTS,
  RegistrationStatus,
} from './phone-numbers.constants';
import { PhoneNumbersService } from './phone-numbers.service';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { type Actor, Actors } from 'src/modules/audit/actor';

/** A number to register, with its PIN opened. */
interface RegistrationTarget {
  id: string;
  phoneNumberId: string;
  pin: string;
}

/** A step the retry job claimed, with what its Graph call needs. */
type ClaimedStep = { kind: 'registration'; target: RegistrationTarget; token: string } | { kind: 'skipped' };

/**
 * The two onboarding steps after a connection (product-spec §2.1): the webhook subscription of the WABA
 * ({@link WabaSubscriptionService}'s) and the Cloud API registration of the number, run by the connection
 * itself, by a manual retry and by the durable retry job. Every Graph call is made outside any transaction:
 * a step is claimed by a short write (its due time moved forward by a lease), called, and its outcome
 * written by another short transaction, so a slow Meta holds no database connection and a crash leaves the
 * step due once the lease ends.
 */
@Injectable()
export class OnboardingStepsService {
  private readonly logger = new Logger(OnboardingStepsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly subscriptions: WabaSubscriptionService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * The steps of a number just connected (its records are committed, their steps due after a lease): the
   * subscription if the WABA is not subscribed, then the registration if the number is not registered.
   * Returns the number as stored afterwards, with its WABA.
   */
  async runAfterConnect(phoneId: string, token: string, context: ChangeContext): Promise<PhoneNumber> {
    const phone = await this.load(phoneId);
    if (phone.waba.subscriptionStatus !== WebhookSubscriptionStatus.SUBSCRIBED) {
      await this.subscriptions.subscribe(phone.waba.wabaId, token, context);
    }
    if (phone.registrationStatus !== RegistrationStatus.REGISTERED) {
      await this.register(this.targetOf(phone), token, context);
    }
    return this.load(phoneId);
  }

  /**
   * `POST .../register`: registers the number again now, with its stored PIN. The outcome is stored on the
   * number either way; a Meta failure is then answered as the matching problem.
   */
  async retryRegistration(organizationId: string, phoneNumberId: string, actor: Actor): Promise<PhoneNumber> {
    const owned = await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    if (owned.waba.connection === WabaConnection.REAUTH_REQUIRED) {
      throw domainExceptionFromMeta(new MetaGatewayException(MetaGatewayErrorCode.AUTH_INVALID, 'token rejected'));
    }
    const token = await this.wabas.revealToken(owned.waba);
    await this.em.populate(owned, ['pinSealed']);
    const failure = await this.register(
      this.targetOf(owned),
      token,
      { source: ChangeSource.API, actor },
      { manual: true },
    );
    if (failure) {
      throw toPublicError(failure);
    }
    return this.load(owned.id);
  }

  /**
   * The durable background retries of registrations that failed transiently or whose request died (the
   * webhook subscriptions are {@link WabaSubscriptionService.runDueSubscriptions}'). Each is claimed with
   * FOR UPDATE SKIP LOCKED and a lease, so several instances share the work, and called after the claim
   * committed.
   */
  async runDueOnboardingRetries(now: Date = new Date(), limit = 20): Promise<{ attempted: number }> {
    const context: ChangeContext = { source: ChangeSource.SYNC, actor: Actors.system };
    let attempted = 0;
    while (attempted < limit) {
      const step = await this.claimDueStep(now);
      if (!step) {
        break;
      }
      attempted++;
      if (step.kind === 'registration') {
        await this.register(step.target, step.token, context);
      }
    }
    return { attempted };
  }

  private claimDueStep(now: Date): Promise<ClaimedStep | null> {
    const lease = new Date(now.getTime() + ONBOARDING_STEP_LEASE_MS);
    return this.em.fork().transactional(async (em): Promise<ClaimedStep | null> => {
      const [phone] = await em.find(
        PhoneNumber,
        {
          registrationStatus: { $in: [RegistrationStatus.PENDING, RegistrationStatus.FAILED] },
          nextRegistrationAttemptAt: { $lte: now },
        },
        {
          // Across tenants: the retry job serves every organization's due numbers.
          ...ACROSS_TENANTS,
          populate: ['pinSealed'],
          limit: 1,
          lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
          orderBy: { nextRegistrationAttemptAt: 'asc' },
        },
      );
      if (phone) {
        // The WABA is read after the number's lock, not locked with it (see register).
        await em.populate(phone, ['waba'], { ...ACROSS_TENANTS });
        if (phone.waba.connection === WabaConnection.REAUTH_REQUIRED) {
          phone.nextRegistrationAttemptAt = null;
          return { kind: 'skipped' };
        }
        phone.nextRegistrationAttemptAt = lease;
        return { kind: 'registration', target: this.targetOf(phone), token: await this.wabas.revealToken(phone.waba) };
      }
      return null;
    });
  }

  /**
   * `POST /{phone}/register` and a read-back of the number, then the outcome on the number in a short
   * transaction (audited when the registration status changed). Returns Meta's failure, or null.
   */
  private async register(
    target: RegistrationTarget,
    token: string,
    context: ChangeContext,
    options: { manual?: boolean } = {},
  ): Promise<unknown> {
    let failure: unknown = null;
    let snapshot: PhoneNumberSnapshot | null = null;
    try {
      await this.meta.registerPhoneNumber(target.phoneNumberId, target.pin, token);
      // Registration changes Meta's view of the number (status, platform type): read it back rather than guess.
      snapshot = await this.meta.getPhoneNumber(target.phoneNumberId, token).catch((error: unknown) => {
        // Registration itself succeeded; the next sync brings the number's new fields instead.
        this.logger.warn(
          `Reading ${target.phoneNumberId} back after registration failed: ${describeFailure(error).classification}`,
        );
        return null;
      });
    } catch (error) {
      failure = error;
      const described = describeFailure(error);
      this.logger.warn(
        `Registering ${target.phoneNumberId} failed: ${described.classification} ${described.code ?? ''}`,
      );
    }

    await this.transactions.run(async (em) => {
      const phone = await em.findOne(
        PhoneNumber,
        { id: target.id },
        // Across tenants: the caller holds the number (its own request's, or the retry job's claim).
        { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (phone) {
        // Populated after the lock, not joined into it: locking the WABA after its number is the reverse of
        // a disable's order (WABA, then its numbers) and could deadlock with one.
        await em.populate(phone, ['waba'], { ...ACROSS_TENANTS });
      }
      if (!phone || (failure !== null && phone.registrationStatus === RegistrationStatus.REGISTERED)) {
        // Gone, or registered by another attempt meanwhile: a stale failure must not undo that.
        return;
      }
      const before = phone.registrationStatus;
      const fieldsBefore = phoneState(phone).fields;
      phone.registrationAttempts = options.manual ? 1 : phone.registrationAttempts + 1;
      if (failure === null) {
        phone.registrationStatus = RegistrationStatus.REGISTERED;
        phone.registrationErrorCode = null;
        phone.registrationErrorMessage = null;
        phone.nextRegistrationAttemptAt = null;
        if (snapshot) {
          applyPhoneSnapshot(phone, snapshot);
        }
      } else {
        const described = describeFailure(failure);
        phone.registrationStatus = RegistrationStatus.FAILED;
        phone.registrationErrorCode = described.code;
        phone.registrationErrorMessage = described.message;
        phone.nextRegistrationAttemptAt =
          described.retryable && phone.registrationAttempts < REGISTRATION_MAX_AUTO_ATTEMPTS
            ? retryAt(phone.registrationAttempts)
            : null;
        if (isTokenRejected(failure)) {
          await this.wabas.markReauthRequired(phone.waba.wabaId, context);
        }
      }
      if (before !== phone.registrationStatus) {
        const fields = changedFields(fieldsBefore, phone);
        this.audit.record(em, {
          organizationId: phone.organization.id,
          wabaId: phone.waba.wabaId,
          phoneNumberId: phone.phoneNumberId,
          type: AuditEventType.PHONE_NUMBER_UPDATED,
          source: context.source,
          actor: context.actor,
          before: { registrationStatus: before, ...fields.before },
          after: {
            registrationStatus: phone.registrationStatus,
            registrationErrorCode: phone.registrationErrorCode,
            ...fields.after,
          },
        });
      }
    });
    return failure;
  }

  /** The number with its WABA and PIN, read afresh. */
  private load(phoneId: string): Promise<PhoneNumber> {
    // Across tenants: the caller holds the number (a connection's request, a manual retry after the ownership check).
    return this.em
      .fork()
      .findOneOrFail(PhoneNumber, { id: phoneId }, { ...ACROSS_TENANTS, populate: ['waba', 'pinSealed'] });
  }

  private targetOf(phone: PhoneNumber): RegistrationTarget {
    return { id: phone.id, phoneNumberId: phone.phoneNumberId, pin: this.secrets.open(phone.pinSealed) };
  }
}

function isTokenRejected(error: unknown): boolean {
  return error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID;
}
