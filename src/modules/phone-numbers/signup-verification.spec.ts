import { DomainException } from 'src/common/exceptions/domain.exception';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { FakeMetaGateway } from 'test/fakes/fake-meta-gateway';

import type { PendingConnectionWork } from './pending-connection.repository';
import { keptProblem, rejectionOf, rejectionProblem, verifyConnection } from './signup-verification';

const WABA = '102290129340398';
const PHONE = '106540352242922';
const TOKEN = 'EAAG-business-token';

function work(overrides: Partial<PendingConnectionWork> = {}): PendingConnectionWork {
  return {
    id: 'row',
    organizationId: 'org',
    codeHash: 'hash',
    wabaId: WABA,
    phoneNumberId: PHONE,
    businessId: null,
    actor: 'api-key:1',
    accessTokenSealed: 'sealed',
    accessTokenExpiresAt: null,
    attempts: 1,
    expiresAt: new Date('2026-12-04T00:00:00Z'),
    ...overrides,
  };
}

describe('verifyConnection', () => {
  let meta: FakeMetaGateway;

  beforeEach(() => {
    meta = new FakeMetaGateway();
    meta.setWaba({ id: WABA });
    meta.setPhoneNumber(WABA, { id: PHONE });
  });

  it('should verify a valid token granted the WABA whose numbers include the posted one', async () => {
    const verification = await verifyConnection(meta, TOKEN, work({ businessId: '506914307656634' }));
    expect(verification).toMatchObject({ kind: 'verified', number: { id: PHONE } });
  });

  it.each([
    [MetaGatewayErrorCode.TRANSIENT],
    [MetaGatewayErrorCode.RATE_LIMITED],
    [MetaGatewayErrorCode.AUTH_INVALID],
    [MetaGatewayErrorCode.UNKNOWN],
  ])('should leave the connection undecided when debug_token itself fails with %s', async (code) => {
    meta.failNext('inspectToken', code);
    expect(await verifyConnection(meta, TOKEN, work())).toMatchObject({ kind: 'undecided' });
  });

  it.each([
    ['an invalid token', { isValid: false }, 'SIGNUP_CODE_REJECTED'],
    ['a token not granted the WABA', { grantedWabaIds: ['999'] }, 'WABA_NOT_GRANTED'],
  ])('should refuse %s', async (_case, inspection, code) => {
    meta.setTokenInspection(TOKEN, inspection);
    const verification = await verifyConnection(meta, TOKEN, work());
    expect(verification).toMatchObject({ kind: 'refused', problem: { code } });
  });

  it('should refuse a number outside the WABA', async () => {
    const verification = await verifyConnection(meta, TOKEN, work({ phoneNumberId: '1' }));
    expect(verification).toMatchObject({ kind: 'refused', problem: { code: 'PHONE_NUMBER_NOT_IN_WABA' } });
  });

  it.each([
    [MetaGatewayErrorCode.TRANSIENT, 'undecided'],
    [MetaGatewayErrorCode.RATE_LIMITED, 'undecided'],
    [MetaGatewayErrorCode.UNKNOWN, 'undecided'],
    [MetaGatewayErrorCode.AUTH_INVALID, 'refused'],
    [MetaGatewayErrorCode.PERMISSION_DENIED, 'refused'],
    [MetaGatewayErrorCode.NOT_FOUND, 'refused'],
  ])('should take a %s failure reading the WABA as %s', async (code, kind) => {
    meta.failNext('getWaba', code);
    expect(await verifyConnection(meta, TOKEN, work())).toMatchObject({ kind });
  });
});

describe('keptProblem', () => {
  it("should keep Meta's problem and add Retry-After and the pending connection's expiry", () => {
    const problem = keptProblem(
      new MetaGatewayException(MetaGatewayErrorCode.TRANSIENT, 'down'),
      new Date('2026-12-04T00:00:00Z'),
    );
    expect(problem).toBeInstanceOf(DomainException);
    expect(problem).toMatchObject({
      code: 'META_UNAVAILABLE',
      detail: expect.stringContaining('repeat the same request'),
      extras: { retryAfterSeconds: 10, meta: { pendingConnection: { expiresAt: '2026-12-04T00:00:00.000Z' } } },
    });
  });

  it("should keep Meta's own Retry-After of a throttled check", () => {
    const throttled = new MetaGatewayException(MetaGatewayErrorCode.RATE_LIMITED, 'slow down', {
      retryAfterSeconds: 120,
    });
    expect(keptProblem(throttled, new Date())).toMatchObject({
      code: 'META_RATE_LIMITED',
      extras: { retryAfterSeconds: 120 },
    });
  });

  it("should pass an error that is not Meta's through unchanged", () => {
    const error = new Error('database down');
    expect(keptProblem(error, new Date())).toBe(error);
  });
});

describe('rejectionProblem', () => {
  it('should answer a replay with the stored refusal', async () => {
    const meta = new FakeMetaGateway();
    meta.setWaba({ id: WABA });
    meta.setTokenInspection(TOKEN, { grantedWabaIds: [] });
    const refused = await verifyConnection(meta, TOKEN, work());
    if (refused.kind !== 'refused') {
      throw new Error('expected a refusal');
    }
    const replay = rejectionProblem(JSON.parse(JSON.stringify(rejectionOf(refused.problem))));
    expect(replay).toMatchObject({
      code: refused.problem.code,
      detail: refused.problem.detail,
      extras: { errors: [{ field: 'wabaId' }] },
    });
  });
});
