import { createHash } from 'node:crypto';

import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { scopeToOrganization } from 'src/common/database/tenant-filter';
import { Transactions } from 'src/common/events/transactions';
import { DomainException, NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { SecretBox } from 'src/common/security/secret-box';
import { type Actor, Actors } from 'src/modules/organizations/actor';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { TemplatesService } from 'src/modules/templates/templates.service';
import { WabaSubscriptionService } from 'src/modules/wabas/waba-subscription.service';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { WabaConnection, WebhookSubscriptionStatus } from 'src/modules/wabas/wabas.constants';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { describeFailure } from 'src/modules/meta-gateway/meta-failure.problem';
import {
  type PendingConnectionClaim,
  PendingConnectionRepository,
  type PendingConnectionRequest,
  type PendingConnectionWork,
} from './pending-connection.repository';
import type { PhoneNumber } from './phone-number.entity';
import { PhoneNumberRepository } from './phone-number.repository';
import {
  ONBOARDING_STEP_LEASE_MS,
  PENDING_CONNECTION_RETRY_AFTER_SECONDS,
  PENDING_CONNECTION_TTL_MS,
  PendingConnectionStatus,
  RegistrationStatus,
} from './phone-numbers.constants';
import { SignupCodeRejectedException } from './phone-numbers.exception';
import { PhoneNumbersService } from './phone-numbers.service';
import { RegistrationService } from './registration.service';
import {
  exchangeProblem,
  keptProblem,
  nextVerificationAt,
  ownershipRefusal,
  rejectionOf,
  rejectionProblem,
  type Verification,
  verifyConnection,
} from './signup-verification';

/** What the front end posts after Embedded Signup. */
export interface ConnectInput {
  code: string;
  wabaId: string;
  phoneNumberId: string;
  businessId?: string;
}

/** Result of a connection: the records and whether the number is new to the organization. */
export interface ConnectResult {
  phoneNumber: Readonly<PhoneNumber>;
  waba: WabaView;
  created: boolean;
}

/** A number just connected and its WABA, as written. */
interface StoredConnection {
  phone: Readonly<PhoneNumber>;
  waba: WabaView;
}

/** What one verification attempt of a pending connection came to. */
type Outcome =
  | ({ kind: 'connected'; created: boolean } & StoredConnection)
  | { kind: 'refused'; problem: DomainException }
  | { kind: 'kept'; error: unknown; expiresAt: Date }
  /** Someone else finished or refused it meanwhile (or its claim was lost): read its state again. */
  | { kind: 'superseded' };

const TWIN_POLL_MAX_MS = 500;

/**
 * The Embedded Signup connection (product-spec §2.1). The code is claimed in `pending_connections` (one
 * row per organization and code hash, unique), exchanged, and the token stored there sealed at once; then
 * `debug_token`, the WABA and the number are checked, and only then, in one short transaction, the
 * ownership is checked and the WABA and number written. No Graph call is made inside a transaction, and
 * no database connection is held while Meta is called: concurrent twins of a request wait by polling the
 * row, whose claim has a lease. What Meta cannot answer now stays pending for the client's repeated
 * request or the background job ({@link runDuePendingConnections}); what it refuses is answered and the
 * token deleted.
 */
@Injectable()
export class EmbeddedSignupService {
  private readonly logger = new Logger(EmbeddedSignupService.name);
  private readonly leaseMs: number;

  constructor(
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly numbers: PhoneNumberRepository,
    private readonly subscriptions: WabaSubscriptionService,
    private readonly registration: RegistrationService,
    private readonly pending: PendingConnectionRepository,
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
    private readonly templates: TemplatesService,
    config: ConfigService<AllConfig, true>,
  ) {
    const graph = config.get('meta', { infer: true });
    // A claim outlives the calls it covers, retries included: the exchange, debug_token, the WABA and number reads.
    this.leaseMs = graph.requestTimeoutMs * (graph.maxRetries + 1) * 3 + 30_000;
  }

  /**
   * Connects a number (and its WABA when new) from an Embedded Signup result. The same request again (same
   * code) is answered from its pending connection and never exchanges the code twice: 20 concurrent twins
   * make one exchange, one 201 and nineteen 200s. Throws the refusal's problem, or Meta's problem with a
   * `pendingConnection` member when the token is kept for a repeated request or the background job.
   */
  async connect(organizationId: string, input: ConnectInput, actor: Actor): Promise<ConnectResult> {
    const request: PendingConnectionRequest = {
      organizationId,
      codeHash: createHash('sha256').update(input.code).digest('hex'),
      wabaId: input.wabaId,
      phoneNumberId: input.phoneNumberId,
      businessId: input.businessId ?? null,
      actor,
    };
    const context: ChangeContext = { source: ChangeSource.API, actor };
    const waitUntil = Date.now() + this.leaseMs + 5_000;
    for (let round = 0; ; round++) {
      const now = new Date();
      const { state, connectedByCode } = await this.pending.findState(organizationId, request.codeHash, input, now);
      if (state && (state.wabaId !== input.wabaId || state.phoneNumberId !== input.phoneNumberId)) {
        throw new SignupCodeRejectedException('it was already posted for another WABA or phone number');
      }
      let outcome: Outcome | null = null;
      switch (state?.status) {
        case undefined: {
          if (connectedByCode) {
            // The same request after its pending connection expired: its WABA remembers this code.
            return this.answerFromRecords(organizationId, input.phoneNumberId);
          }
          const claim = await this.pending.claimCode(request, now, this.leaseMs, PENDING_CONNECTION_TTL_MS);
          outcome = claim ? await this.exchangeAndConnect(claim, input.code, context) : null;
          break;
        }
        case PendingConnectionStatus.EXCHANGING: {
          // Taken over only when its claimant's lease ended (it died during the exchange).
          const claim = state.claimLive
            ? null
            : await this.pending.claimCode(request, now, this.leaseMs, PENDING_CONNECTION_TTL_MS);
          outcome = claim ? await this.exchangeAndConnect(claim, input.code, context) : null;
          break;
        }
        case PendingConnectionStatus.PENDING: {
          const claim = state.claimLive ? null : await this.pending.claimForVerification(state.id, now, this.leaseMs);
          outcome = claim ? await this.verifyAndConnect(claim, null, null, context) : null;
          break;
        }
        case PendingConnectionStatus.CONNECTED:
          return this.answerFromRecords(organizationId, input.phoneNumberId);
        case PendingConnectionStatus.REJECTED:
          throw rejectionProblem(state.rejection);
      }
      if (outcome && outcome.kind !== 'superseded') {
        return answerOf(outcome);
      }
      if (Date.now() > waitUntil) {
        throw new DomainException(ErrorCode.META_UNAVAILABLE, 'The same request is still waiting on Meta; repeat it', {
          retryAfterSeconds: PENDING_CONNECTION_RETRY_AFTER_SECONDS,
        });
      }
      // A twin holds the claim: wait for its outcome without holding a database connection.
      await sleep(Math.min(25 * 2 ** round, TWIN_POLL_MAX_MS));
    }
  }

  /**
   * One tick of the background work: deletes the pending connections (and tokens) whose day is over, then
   * verifies due ones (Meta could not answer before, or their request died) under a lease, so that
   * instances share them. The records are written with the original request's actor; the steps as `system`.
   */
  async runDuePendingConnections(
    now: Date = new Date(),
    limit = 20,
  ): Promise<{ expired: number; connected: number; refused: number; kept: number }> {
    const result = { expired: await this.pending.deleteExpired(now), connected: 0, refused: 0, kept: 0 };
    for (let index = 0; index < limit; index++) {
      const claim = await this.pending.claimDue(now, this.leaseMs);
      if (!claim) {
        break;
      }
      const outcome = await this.verifyAndConnect(claim, null, null, {
        source: ChangeSource.SYNC,
        actor: Actors.system,
      });
      if (outcome.kind !== 'superseded') {
        result[outcome.kind] += 1;
      }
    }
    return result;
  }

  private async exchangeAndConnect(
    claim: PendingConnectionClaim,
    code: string,
    context: ChangeContext,
  ): Promise<Outcome> {
    let exchanged: { accessToken: string; expiresInSeconds: number | null };
    try {
      exchanged = await this.meta.exchangeCode(code);
    } catch (error) {
      // Nothing came back to keep: the same request may try again (Meta refuses the code if it was spent).
      await this.pending.dropClaim(claim);
      throw exchangeProblem(error);
    }
    const now = new Date();
    const expiresAt = exchanged.expiresInSeconds ? new Date(now.getTime() + exchanged.expiresInSeconds * 1000) : null;
    const work = await this.pending.storeToken(claim, this.secrets.seal(exchanged.accessToken), expiresAt, now);
    if (!work) {
      return { kind: 'superseded' };
    }
    return this.verifyAndConnect(claim, work, exchanged.accessToken, context);
  }

  /**
   * Checks a claimed pending connection with Meta, then stores it (or refuses it, deleting the token, or
   * releases it for a later attempt). `stored` is the row as the caller just wrote it and `token` the
   * plaintext, when the caller has them; `stepsContext` is whose name the subscription and registration run
   * under.
   */
  private async verifyAndConnect(
    claim: PendingConnectionClaim,
    stored: PendingConnectionWork | null,
    token: string | null,
    stepsContext: ChangeContext,
  ): Promise<Outcome> {
    const work = stored ?? (await this.pending.readWork(claim));
    if (!work) {
      return { kind: 'superseded' };
    }
    const plaintext = token ?? this.secrets.open(work.accessTokenSealed);
    const verification = await verifyConnection(this.meta, plaintext, work);
    const now = new Date();
    switch (verification.kind) {
      case 'undecided': {
        const failure = describeFailure(verification.error);
        this.logger.warn(
          `Verifying the connection of ${work.phoneNumberId} failed (${failure.classification}); kept until ${work.expiresAt.toISOString()}`,
        );
        await this.pending.release(
          claim,
          nextVerificationAt(work.attempts, now),
          {
            classification: failure.classification,
            metaCode: failure.code,
          },
          now,
        );
        return { kind: 'kept', error: verification.error, expiresAt: work.expiresAt };
      }
      case 'refused':
        this.logger.warn(`Connection of ${work.phoneNumberId} refused: ${verification.problem.code}`);
        await this.pending.reject(work.id, rejectionOf(verification.problem), now);
        return verification;
      case 'verified':
        return this.complete(work, plaintext, verification, stepsContext);
    }
  }

  /**
   * The one transaction of a connection, after Meta proved the grant (so ownership is told only to a caller
   * who may know the WABA and number): serialized per number and WABA with transaction-scoped advisory
   * locks, refuses what another organization owns, stores the WABA and number with their steps due after a
   * lease, and marks the pending connection CONNECTED. Then runs the steps outside it. The WABA and the
   * number are read once each, the WABA locked first (a WABA before its numbers), and handed to their
   * owners' writes.
   */
  private async complete(
    work: PendingConnectionWork,
    token: string,
    verified: Extract<Verification, { kind: 'verified' }>,
    stepsContext: ChangeContext,
  ): Promise<Outcome> {
    const context: ChangeContext = { source: ChangeSource.API, actor: work.actor };
    const stored = await this.transactions.run(
      async (tx): Promise<Outcome | { kind: 'stored'; connection: StoredConnection; created: boolean }> => {
        // The owners' methods below run on this transaction's EntityManager, scoped to the organization.
        scopeToOrganization(tx, work.organizationId);
        if ((await this.pending.lockForCompletion(tx, work)) !== PendingConnectionStatus.PENDING) {
          return { kind: 'superseded' };
        }
        const storedWaba = await this.wabas.lockForSignup(work.wabaId);
        const storedNumber = await this.numbers.findForSignup(work.phoneNumberId);
        const refusal = ownershipRefusal(work, storedNumber, storedWaba);
        if (refusal) {
          await this.pending.reject(work.id, rejectionOf(refusal), new Date(), tx);
          return { kind: 'refused', problem: refusal };
        }

        // Due for the retry job once the lease ends: if this process dies before the steps finish, the job
        // completes them (the steps clear these when they succeed or fail for good).
        const stepLease = new Date(Date.now() + ONBOARDING_STEP_LEASE_MS);
        const upserted = await this.wabas.upsertForSignup({
          organizationId: work.organizationId,
          snapshot: verified.waba,
          token,
          tokenExpiresAt: verified.tokenExpiresAt,
          signupCodeHash: work.codeHash,
          stored: storedWaba,
          subscriptionDueAt: stepLease,
          context,
        });
        const { phone, created } = await this.phoneNumbers.storeFromSignup({
          organizationId: work.organizationId,
          phoneNumberId: work.phoneNumberId,
          waba: upserted.waba,
          snapshot: verified.number,
          stored: storedNumber,
          registrationDueAt: stepLease,
          context,
        });
        await this.pending.markConnected(tx, work.id, new Date());
        return { kind: 'stored', connection: { phone, waba: upserted.waba }, created };
      },
    );
    if (stored.kind !== 'stored') {
      return stored;
    }
    const connection = await this.runSteps(stored.connection, token, stepsContext);
    return { kind: 'connected', ...connection, created: stored.created };
  }

  /**
   * The steps of a number just connected (its records are committed, their steps due after a lease): the
   * WABA's webhook subscription if it is not subscribed, then the number's registration if it is not
   * registered — the Graph calls outside any transaction, then both outcomes written by one short
   * transaction — and last a read of the WABA's message templates (a failure is recorded by the templates
   * module and retried by a later round; it never fails the connection). Returns the number and its WABA as
   * written afterwards.
   */
  private async runSteps(stored: StoredConnection, token: string, context: ChangeContext): Promise<StoredConnection> {
    const subscription =
      stored.waba.subscriptionStatus !== WebhookSubscriptionStatus.SUBSCRIBED
        ? await this.subscriptions.requestSubscription(stored.waba.wabaId, token)
        : null;
    const registration =
      stored.phone.registrationStatus !== RegistrationStatus.REGISTERED
        ? await this.registration.requestConnectedRegistration(stored.phone, token)
        : null;
    // A WABA before its numbers: the subscription's write locks the WABA, the registration's the number.
    const written =
      subscription || registration
        ? await this.transactions.run(async (): Promise<StoredConnection> => {
            const waba = subscription ? await this.subscriptions.recordAttempt(subscription, context) : null;
            const phone = registration
              ? await this.registration.recordConnectedRegistration(registration, context)
              : null;
            return { phone: phone ?? stored.phone, waba: waba ?? phone?.waba ?? stored.waba };
          })
        : stored;
    if (written.waba.connection !== WabaConnection.REAUTH_REQUIRED) {
      await this.templates.refreshWabaTemplates(stored.waba.wabaId, token);
    }
    return written;
  }

  /** The same request after its connection was stored: the records as they are, as a 200. */
  private async answerFromRecords(organizationId: string, phoneNumberId: string): Promise<ConnectResult> {
    const phone = await this.numbers.findOwned(organizationId, phoneNumberId, { fresh: true });
    if (!phone) {
      throw new NotFoundDomainException('Phone number', phoneNumberId);
    }
    return { phoneNumber: phone, waba: phone.waba, created: false };
  }
}

function answerOf(outcome: Exclude<Outcome, { kind: 'superseded' }>): ConnectResult {
  switch (outcome.kind) {
    case 'connected':
      return { phoneNumber: outcome.phone, waba: outcome.waba, created: outcome.created };
    case 'refused':
      throw outcome.problem;
    case 'kept':
      throw keptProblem(outcome.error, outcome.expiresAt);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
