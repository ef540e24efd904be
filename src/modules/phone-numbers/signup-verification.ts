import { DomainException } from 'src/common/exceptions/domain.exception';
import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import type { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { PhoneNumberSnapshot, WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { toPublicError } from 'src/modules/meta-gateway/meta-failure.problem';
import type { PendingConnectionRejection } from './pending-connection.entity';
import type { PendingConnectionWork } from './pending-connection.repository';
import {
  PENDING_CONNECTION_RETRY_AFTER_SECONDS,
  PENDING_CONNECTION_RETRY_BASE_MS,
  PENDING_CONNECTION_RETRY_MAX_MS,
} from './phone-numbers.constants';
import {
  AlreadyConnectedException,
  PhoneNumberNotInWabaException,
  SignupCodeRejectedException,
  WabaNotGrantedException,
} from './phone-numbers.exception';

/** What Meta said about an exchanged token and the posted WABA and number. */
export type Verification =
  | { kind: 'verified'; waba: WabaSnapshot; number: PhoneNumberSnapshot; tokenExpiresAt: Date | null }
  /** Meta refused: the token is not kept, and the problem says why. */
  | { kind: 'refused'; problem: DomainException }
  /** Meta did not decide (down, slow, throttled, unreadable): the same check may pass later. */
  | { kind: 'undecided'; error: unknown };

const UNDECIDED_CLASSES = new Set([
  MetaGatewayErrorCode.TRANSIENT,
  MetaGatewayErrorCode.RATE_LIMITED,
  MetaGatewayErrorCode.UNKNOWN,
]);

// Meta codes for a refused signup code are 100 (used/expired/invalid) and, for bad app credentials, 1/101.
const CODE_REJECTION_CLASSES = new Set([
  MetaGatewayErrorCode.INVALID_REQUEST,
  MetaGatewayErrorCode.AUTH_INVALID,
  MetaGatewayErrorCode.PERMISSION_DENIED,
  MetaGatewayErrorCode.NOT_FOUND,
]);

/** The public problem of a failed code exchange: the code refused, or Meta's failure as it is. */
export function exchangeProblem(error: unknown): unknown {
  if (error instanceof MetaGatewayException && CODE_REJECTION_CLASSES.has(error.code)) {
    return new SignupCodeRejectedException(error.details.metaDetails ?? 'used, expired or invalid');
  }
  return toPublicError(error);
}

/**
 * Step 4, on the records as they are inside the connection's transaction: a number or WABA another
 * organization holds, or the organization's number under another WABA (or under none stored: the WABA is
 * unknown), refuses the connection. The number's WABA is compared by internal ID with the stored WABA.
 */
export function ownershipRefusal(
  work: Pick<PendingConnectionWork, 'organizationId' | 'wabaId' | 'phoneNumberId'>,
  storedNumber: { organization: { id: string }; waba: { id: string } } | null,
  storedWaba: { id: string; organization: { id: string } } | null,
): DomainException | null {
  if (storedNumber && storedNumber.organization.id !== work.organizationId) {
    return new AlreadyConnectedException('Phone number', work.phoneNumberId);
  }
  if (storedWaba && storedWaba.organization.id !== work.organizationId) {
    return new AlreadyConnectedException('WABA', work.wabaId);
  }
  if (storedNumber && storedNumber.waba.id !== storedWaba?.id) {
    return new PhoneNumberNotInWabaException(work.phoneNumberId, work.wabaId);
  }
  return null;
}

/**
 * Steps 2 and 3 of product-spec §2.1 for a pending connection: `debug_token` (valid, the posted WABA
 * granted), then the WABA and its numbers read with the token (the posted number among them). Graph calls
 * only; the caller holds no transaction.
 */
export async function verifyConnection(
  meta: MetaGateway,
  token: string,
  work: PendingConnectionWork,
): Promise<Verification> {
  let inspection;
  try {
    inspection = await meta.inspectToken(token);
  } catch (error) {
    // debug_token runs on the app's credentials: its failures say nothing about this token.
    return { kind: 'undecided', error };
  }
  if (!inspection.isValid) {
    return { kind: 'refused', problem: new SignupCodeRejectedException('the exchanged token is not valid') };
  }
  if (!inspection.grantedWabaIds.includes(work.wabaId)) {
    return { kind: 'refused', problem: new WabaNotGrantedException(work.wabaId) };
  }
  try {
    const [waba, numbers] = await Promise.all([
      meta.getWaba(work.wabaId, token),
      meta.listPhoneNumbers(work.wabaId, token),
    ]);
    const number = numbers.find((candidate) => candidate.id === work.phoneNumberId);
    if (!number) {
      return { kind: 'refused', problem: new PhoneNumberNotInWabaException(work.phoneNumberId, work.wabaId) };
    }
    return {
      kind: 'verified',
      waba: work.businessId && !waba.ownerBusinessId ? { ...waba, ownerBusinessId: work.businessId } : waba,
      number,
      tokenExpiresAt: inspection.expiresAt ?? work.accessTokenExpiresAt,
    };
  } catch (error) {
    if (error instanceof MetaGatewayException && !UNDECIDED_CLASSES.has(error.code)) {
      // The granted token cannot read the WABA or its numbers (rejected, no permission, gone).
      return { kind: 'refused', problem: domainExceptionFromMeta(error) };
    }
    return { kind: 'undecided', error };
  }
}

/**
 * Meta's problem for a verification it could not answer, saying that the connection is kept: a client
 * repeats the same request (after `Retry-After`) and gets the usual 201/200, or finds the number later.
 */
export function keptProblem(error: unknown, expiresAt: Date): unknown {
  if (!(error instanceof MetaGatewayException)) {
    return error;
  }
  const problem = domainExceptionFromMeta(error);
  const until = expiresAt.toISOString();
  return new DomainException(
    problem.code,
    `${problem.detail}. The code was exchanged and the connection is kept until ${until}: repeat the same request ` +
      '(same code) to finish it, or it finishes in the background',
    {
      retryAfterSeconds: problem.extras.retryAfterSeconds ?? PENDING_CONNECTION_RETRY_AFTER_SECONDS,
      meta: { ...problem.extras.meta, pendingConnection: { expiresAt: until } },
    },
  );
}

/** What a refused pending connection keeps to answer its replays. */
export function rejectionOf(problem: DomainException): PendingConnectionRejection {
  return { code: problem.code, detail: problem.detail, errors: problem.extras.errors };
}

/** The problem a replay of a refused pending connection is answered with. */
export function rejectionProblem(rejection: PendingConnectionRejection | null): DomainException {
  return rejection
    ? new DomainException(rejection.code, rejection.detail, { errors: rejection.errors })
    : new SignupCodeRejectedException('the connection of this code was refused');
}

/** When the background job tries a verification again after `attempts` undecided ones. */
export function nextVerificationAt(attempts: number, now: Date): Date {
  const delay = Math.min(
    PENDING_CONNECTION_RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1),
    PENDING_CONNECTION_RETRY_MAX_MS,
  );
  return new Date(now.getTime() + delay + Math.floor(Math.random() * 1000));
}
