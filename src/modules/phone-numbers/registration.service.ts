import { Injectable, Logger } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import { SecretBox } from 'src/common/security/secret-box';
import { type Actor, Actors } from 'src/modules/organizations/actor';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { WabaConnection } from 'src/modules/wabas/wabas.constants';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { describeFailure, toPublicError } from 'src/modules/meta-gateway/meta-failure.problem';
import { PhoneNumberChanges } from './phone-number-changes';
import { phoneState } from './phone-number-snapshot';
import type { PhoneNumber } from './phone-number.entity';
import { PhoneNumberRepository } from './phone-number.repository';
import { ONBOARDING_STEP_LEASE_MS } from './phone-numbers.constants';
import { PhoneNumbersService } from './phone-numbers.service';
import { applyRegistrationOutcome, type RegistrationAttempt } from './registration-outcome';

/** A number to register, with its PIN opened. */
export interface RegistrationTarget {
  id: string;
  phoneNumberId: string;
  pin: string;
}

/** A registration the retry job claimed, with what its Graph call needs. */
type ClaimedRegistration = { kind: 'registration'; target: RegistrationTarget; token: string } | { kind: 'skipped' };

/**
 * The Cloud API registration of a connected number (product-spec §2.1, `POST /{phone}/register` with a
 * generated PIN), run by the connection itself, by a manual retry and by the durable retry job. Graph is
 * called outside any transaction: a due registration is claimed by a short write (its due time moved
 * forward by a lease), called, and its outcome written by another short transaction, so a slow Meta holds
 * no database connection and a crash leaves the registration due once the lease ends.
 */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger(RegistrationService.name);

  constructor(
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly numbers: PhoneNumberRepository,
    private readonly changes: PhoneNumberChanges,
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * The Graph half of a just connected number's registration (read with its PIN by
   * PhoneNumberRepository.findForSignup), with the connection's token, outside any transaction: register,
   * then read the number back. Its outcome is written by {@link recordConnectedRegistration}.
   */
  async requestConnectedRegistration(
    phone: Readonly<PhoneNumber>,
    token: string,
  ): Promise<{ target: RegistrationTarget; attempt: RegistrationAttempt }> {
    const target = this.targetOf(phone);
    return { target, attempt: await this.request(target, token) };
  }

  /**
   * Writes a {@link requestConnectedRegistration}'s outcome on the number, in the caller's transaction when
   * there is one (the connection records its WABA's subscription in the same one). Returns the number as
   * locked and written, with its WABA (null when it is gone); a failure Meta may answer later is left to the
   * retry job.
   */
  async recordConnectedRegistration(
    requested: { target: RegistrationTarget; attempt: RegistrationAttempt },
    context: ChangeContext,
  ): Promise<Readonly<PhoneNumber> | null> {
    return this.record(requested.target, requested.attempt, context);
  }

  /**
   * `POST .../register`: registers the number again now, with its stored PIN. The outcome is stored on the
   * number either way; a Meta failure is then answered as the matching problem.
   */
  async retryRegistration(organizationId: string, phoneNumberId: string, actor: Actor): Promise<Readonly<PhoneNumber>> {
    const owned = await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    if (owned.waba.connection === WabaConnection.REAUTH_REQUIRED) {
      throw domainExceptionFromMeta(new MetaGatewayException(MetaGatewayErrorCode.AUTH_INVALID, 'token rejected'));
    }
    const token = await this.wabas.revealToken(owned.waba);
    const failure = await this.register(
      this.targetOf(await this.numbers.loadFresh(owned.id)),
      token,
      { source: ChangeSource.API, actor },
      { manual: true },
    );
    if (failure) {
      throw toPublicError(failure);
    }
    return this.numbers.loadFresh(owned.id);
  }

  /**
   * The durable background retries of registrations that failed transiently or whose request died (the
   * WABAs' webhook subscriptions are WabaSubscriptionService's). Each is claimed with FOR UPDATE SKIP LOCKED
   * and a lease, so several instances share the work, and called after the claim committed.
   */
  async runDueRegistrations(now: Date = new Date(), limit = 20): Promise<{ attempted: number }> {
    const context: ChangeContext = { source: ChangeSource.SYNC, actor: Actors.system };
    let attempted = 0;
    while (attempted < limit) {
      const claimed = await this.claimDue(now);
      if (!claimed) {
        break;
      }
      attempted++;
      if (claimed.kind === 'registration') {
        await this.register(claimed.target, claimed.token, context);
      }
    }
    return { attempted };
  }

  /**
   * Claims the most overdue registration under a lease; one whose WABA waits for re-authorization is taken
   * off the schedule instead (its token would only be rejected again).
   */
  private claimDue(now: Date): Promise<ClaimedRegistration | null> {
    const lease = new Date(now.getTime() + ONBOARDING_STEP_LEASE_MS);
    return this.transactions.run(async (): Promise<ClaimedRegistration | null> => {
      const phone = await this.numbers.claimDueRegistration(now);
      if (!phone) {
        return null;
      }
      if (phone.waba.connection === WabaConnection.REAUTH_REQUIRED) {
        phone.nextRegistrationAttemptAt = null;
        return { kind: 'skipped' };
      }
      phone.nextRegistrationAttemptAt = lease;
      return { kind: 'registration', target: this.targetOf(phone), token: await this.wabas.revealToken(phone.waba) };
    });
  }

  /**
   * `POST /{phone}/register` and a read-back of the number ({@link request}), then the outcome on the number
   * in a short transaction ({@link record}). Returns Meta's failure, or null.
   */
  private async register(
    target: RegistrationTarget,
    token: string,
    context: ChangeContext,
    options: { manual?: boolean } = {},
  ): Promise<unknown> {
    const attempt = await this.request(target, token);
    await this.record(target, attempt, context, options);
    return attempt.failure;
  }

  /** `POST /{phone}/register` and a read-back of the number; Graph calls only, outside any transaction. */
  private async request(target: RegistrationTarget, token: string): Promise<RegistrationAttempt> {
    try {
      await this.meta.registerPhoneNumber(target.phoneNumberId, target.pin, token);
    } catch (error) {
      const described = describeFailure(error);
      this.logger.warn(
        `Registering ${target.phoneNumberId} failed: ${described.classification} ${described.code ?? ''}`,
      );
      return { failure: error };
    }
    // Registration changes Meta's view of the number (status, platform type): read it back rather than guess.
    const snapshot = await this.meta.getPhoneNumber(target.phoneNumberId, token).catch((error: unknown) => {
      // Registration itself succeeded; the next sync brings the number's new fields instead.
      this.logger.warn(
        `Reading ${target.phoneNumberId} back after registration failed: ${describeFailure(error).classification}`,
      );
      return null;
    });
    return { failure: null, snapshot };
  }

  /**
   * A registration attempt's outcome on the number, under its row lock, in the caller's transaction or a
   * short one of its own: audited when the registration status changed; a rejected token marks the WABA
   * REAUTH_REQUIRED in the same commit. Returns the number as locked (null when it is gone).
   */
  private async record(
    target: RegistrationTarget,
    attempt: RegistrationAttempt,
    context: ChangeContext,
    options: { manual?: boolean } = {},
  ): Promise<PhoneNumber | null> {
    return this.transactions.run(async () => {
      const phone = await this.numbers.lock({ id: target.id });
      if (!phone) {
        // Gone meanwhile (its WABA or organization was deleted).
        return null;
      }
      const before = { registrationStatus: phone.registrationStatus, fields: phoneState(phone).fields };
      if (!applyRegistrationOutcome(phone, attempt, options)) {
        return phone;
      }
      if (isTokenRejected(attempt.failure)) {
        await this.wabas.markReauthRequired(phone.waba.wabaId, context);
      }
      this.transactions.publishAfterCommit(...this.changes.recordRegistration(phone, before, context));
      return phone;
    });
  }

  private targetOf(phone: Readonly<PhoneNumber>): RegistrationTarget {
    return { id: phone.id, phoneNumberId: phone.phoneNumberId, pin: this.secrets.open(phone.pinSealed) };
  }
}

function isTokenRejected(error: unknown): boolean {
  return error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID;
}
