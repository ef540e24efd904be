import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { GraphHttpError, GraphHttpErrorCode } from './graph-http.client';
import {
  classifyGraphErrorCode,
  isOutcomeUnknown,
  mapGraphApiError,
  mapGraphApiResponse,
  toOutcomeUnknown,
} from './map-graph-api-error';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { parseRetryAfter } from './usage-headers';
import { metaFixturesDir } from 'src/meta-simulator/meta-simulator.testing';

const META_FIXTURES = metaFixturesDir();

/** The failure of a non-2xx answer as the client throws it; header names lower-cased, as Node gives them. */
function answerErrorWith(status: number, data: unknown, headers: Record<string, string> = {}): GraphHttpError {
  const lowerCased = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return new GraphHttpError(`Request failed with status code ${status}`, GraphHttpErrorCode.BAD_RESPONSE, {
    status,
    headers: lowerCased,
    data,
  });
}

function envelope(error: Record<string, unknown>): unknown {
  return { error: { message: 'x', type: 'OAuthException', fbtrace_id: 'TRACE', ...error } };
}

/** Every error fixture of the shared reference, with the class and HTTP status §1.5 gives it. */
const FIXTURE_EXPECTATIONS: Record<string, { status: number; code: MetaGatewayErrorCode }> = {
  'errors/cloud.130429_rate_limit_hit.json': { status: 400, code: MetaGatewayErrorCode.RATE_LIMITED },
  'errors/cloud.messages.131063_marketing_disabled_on_cloud_api.json': {
    status: 400,
    code: MetaGatewayErrorCode.INVALID_REQUEST,
  },
  'errors/graph.generic_envelope_190_460.json': { status: 401, code: MetaGatewayErrorCode.AUTH_INVALID },
  'errors/mm.send.131062_bsuid_not_supported.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  'errors/mm.send.code100_not_a_template.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  'errors/mm.send.missing_to_and_recipient.code100.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  'derived/error.100_too_many_ids.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  'derived/error.131031_account_locked.json': { status: 403, code: MetaGatewayErrorCode.ACCOUNT_RESTRICTED },
  'derived/error.190_463_expired_token.json': { status: 401, code: MetaGatewayErrorCode.AUTH_INVALID },
  'derived/error.190_467_invalid_token.json': { status: 401, code: MetaGatewayErrorCode.AUTH_INVALID },
  'derived/error.368_waba_restricted.json': { status: 403, code: MetaGatewayErrorCode.ACCOUNT_RESTRICTED },
  'derived/error.4_app_rate_limit.json': { status: 400, code: MetaGatewayErrorCode.RATE_LIMITED },
  'derived/error.80007_waba_rate_limit.json': { status: 400, code: MetaGatewayErrorCode.RATE_LIMITED },
  'derived/error.80008_buc_whatsapp_business_management.json': {
    status: 400,
    code: MetaGatewayErrorCode.RATE_LIMITED,
  },
  'derived/oauth.access_token.code_used.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  '2026/derived/error.131061_max_price_template_on_cloud_api.json': {
    status: 400,
    code: MetaGatewayErrorCode.INVALID_REQUEST,
  },
  '2026/derived/error.131062_bsuid_auth_template.json': { status: 400, code: MetaGatewayErrorCode.INVALID_REQUEST },
  '2026/derived/error.134100_non_marketing_on_marketing_messages.json': {
    status: 400,
    code: MetaGatewayErrorCode.INVALID_REQUEST,
  },
  '2026/derived/error.max_price_agreement_required_403.json': {
    status: 403,
    code: MetaGatewayErrorCode.PERMISSION_DENIED,
  },
};

function errorFixtureFiles(): string[] {
  const errors = readdirSync(path.join(META_FIXTURES, 'errors'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => `errors/${file}`);
  const derived = readdirSync(path.join(META_FIXTURES, 'derived'))
    .filter((file) => file.endsWith('.json'))
    .filter((file) => {
      const body: unknown = JSON.parse(readFileSync(path.join(META_FIXTURES, 'derived', file), 'utf8'));
      return typeof body === 'object' && body !== null && 'error' in body;
    })
    .map((file) => `derived/${file}`);
  const derived2026 = readdirSync(path.join(META_FIXTURES, '2026', 'derived'))
    .filter((file) => file.startsWith('error.') && file.endsWith('.json'))
    .map((file) => `2026/derived/${file}`);
  return [...errors, ...derived, ...derived2026].sort();
}

describe(mapGraphApiError.name, () => {
  it('should have an expectation for every error fixture of the shared reference', () => {
    expect(errorFixtureFiles()).toEqual(Object.keys(FIXTURE_EXPECTATIONS).sort());
  });

  describe.each(Object.entries(FIXTURE_EXPECTATIONS))('fixture %s', (file, expected) => {
    const body = JSON.parse(readFileSync(path.join(META_FIXTURES, file), 'utf8')) as {
      error: { code: number; error_subcode?: number; fbtrace_id?: string; error_data?: { details?: string } };
    };

    it(`should map it to ${expected.code} with Meta's identifiers kept`, () => {
      const sut = mapGraphApiError(answerErrorWith(expected.status, body));

      expect(sut).toBeInstanceOf(MetaGatewayException);
      expect(sut.code).toBe(expected.code);
      expect(sut.metaCode).toBe(body.error.code);
      expect(sut.metaSubcode).toBe(body.error.error_subcode ?? null);
      expect(sut.httpStatus).toBe(expected.status);
      expect(sut.fbtraceId).toBe(body.error.fbtrace_id ?? null);
      expect(sut.metaDetails).toBe(body.error.error_data?.details ?? null);
    });

    it('should classify it the same whatever the HTTP status (code wins)', () => {
      expect(mapGraphApiError(answerErrorWith(400, body)).code).toBe(expected.code);
      expect(mapGraphApiError(answerErrorWith(403, body)).code).toBe(expected.code);
    });
  });

  describe('numeric codes', () => {
    it.each<[number, number | null, MetaGatewayErrorCode]>([
      // AUTH_INVALID
      [190, null, MetaGatewayErrorCode.AUTH_INVALID],
      ...[458, 459, 460, 463, 464, 467, 492].map(
        (sub) => [190, sub, MetaGatewayErrorCode.AUTH_INVALID] as [number, number | null, MetaGatewayErrorCode],
      ),
      [0, null, MetaGatewayErrorCode.AUTH_INVALID],
      [102, null, MetaGatewayErrorCode.AUTH_INVALID],
      // PERMISSION_DENIED
      [3, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      [10, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      [200, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      [250, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      [299, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      [139200, null, MetaGatewayErrorCode.PERMISSION_DENIED],
      // RATE_LIMITED
      ...[4, 17, 32, 613, 80007, 80008, 80000, 80004, 80014, 130429, 131056, 131048, 131064, 133016].map(
        (code) => [code, null, MetaGatewayErrorCode.RATE_LIMITED] as [number, number | null, MetaGatewayErrorCode],
      ),
      [613, 1996, MetaGatewayErrorCode.RATE_LIMITED],
      // TRANSIENT
      ...[1, 2, 131000, 131016, 133004, 131057].map(
        (code) => [code, null, MetaGatewayErrorCode.TRANSIENT] as [number, number | null, MetaGatewayErrorCode],
      ),
      // ACCOUNT_RESTRICTED
      ...[368, 131031, 130497, 131042].map(
        (code) =>
          [code, null, MetaGatewayErrorCode.ACCOUNT_RESTRICTED] as [number, number | null, MetaGatewayErrorCode],
      ),
      // NOT_FOUND
      [100, 33, MetaGatewayErrorCode.NOT_FOUND],
      [33, null, MetaGatewayErrorCode.NOT_FOUND],
      [803, null, MetaGatewayErrorCode.NOT_FOUND],
      // INVALID_REQUEST
      ...[
        100, 131008, 131009, 131021, 131026, 131049, 131050, 131051, 131055, 131061, 131062, 131063, 132000, 132001,
        132005, 132007, 132012, 132015, 132016, 132018, 133000, 133005, 133006, 133008, 133009, 133010, 133015, 134100,
        134101, 134102, 134103, 135000,
      ].map(
        (code) => [code, null, MetaGatewayErrorCode.INVALID_REQUEST] as [number, number | null, MetaGatewayErrorCode],
      ),
      [100, 1234, MetaGatewayErrorCode.INVALID_REQUEST],
      // UNKNOWN
      [999999, null, MetaGatewayErrorCode.UNKNOWN],
      [1752041, null, MetaGatewayErrorCode.UNKNOWN],
    ])('should map code %s subcode %s to %s', (code, subcode, expected) => {
      const sut = mapGraphApiError(answerErrorWith(400, envelope({ code, error_subcode: subcode ?? undefined })));

      expect(sut.code).toBe(expected);
      expect(sut.metaCode).toBe(code);
    });

    it('should return null from classifyGraphErrorCode for unlisted codes', () => {
      expect(classifyGraphErrorCode(424242)).toBeNull();
    });

    it('should read codes sent as numeric strings', () => {
      const sut = mapGraphApiError(answerErrorWith(400, envelope({ code: '190', error_subcode: '463' })));

      expect(sut.code).toBe(MetaGatewayErrorCode.AUTH_INVALID);
      expect(sut.metaSubcode).toBe(463);
    });
  });

  describe('is_transient', () => {
    it('should make an otherwise non-transient code TRANSIENT', () => {
      const sut = mapGraphApiError(answerErrorWith(400, envelope({ code: 100, is_transient: true })));

      expect(sut.code).toBe(MetaGatewayErrorCode.TRANSIENT);
    });

    it('should keep throttling codes RATE_LIMITED', () => {
      const sut = mapGraphApiError(answerErrorWith(400, envelope({ code: 4, is_transient: true })));

      expect(sut.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
    });

    it('should leave is_transient false alone', () => {
      const sut = mapGraphApiError(answerErrorWith(500, envelope({ code: 131000, is_transient: false })));

      expect(sut.code).toBe(MetaGatewayErrorCode.TRANSIENT);
    });
  });

  describe('without a readable envelope', () => {
    it.each([
      [500, 'text', MetaGatewayErrorCode.TRANSIENT],
      [502, '<html>Bad gateway</html>', MetaGatewayErrorCode.TRANSIENT],
      [503, '', MetaGatewayErrorCode.TRANSIENT],
      [400, '{"error": {"code": 100', MetaGatewayErrorCode.TRANSIENT],
      [400, { error: 'not an object' }, MetaGatewayErrorCode.TRANSIENT],
      [400, { error: { message: 'no code' } }, MetaGatewayErrorCode.TRANSIENT],
      [200, 'not json', MetaGatewayErrorCode.TRANSIENT],
      [404, '', MetaGatewayErrorCode.NOT_FOUND],
      [404, '<html>Not found</html>', MetaGatewayErrorCode.NOT_FOUND],
      [429, '', MetaGatewayErrorCode.RATE_LIMITED],
    ])('should map HTTP %s with body %j to %s', (status, body, expected) => {
      const sut = mapGraphApiError(answerErrorWith(status, body));

      expect(sut.code).toBe(expected);
      expect(sut.httpStatus).toBe(status);
      expect(sut.metaCode).toBeNull();
    });

    it('should map an unlisted code with a 5xx status to TRANSIENT and with a 4xx status to UNKNOWN', () => {
      expect(mapGraphApiError(answerErrorWith(500, envelope({ code: 424242 }))).code).toBe(
        MetaGatewayErrorCode.TRANSIENT,
      );
      expect(mapGraphApiError(answerErrorWith(400, envelope({ code: 424242 }))).code).toBe(
        MetaGatewayErrorCode.UNKNOWN,
      );
    });

    it('should parse an envelope that arrived as a JSON string', () => {
      const sut = mapGraphApiError(answerErrorWith(400, JSON.stringify(envelope({ code: 368 }))));

      expect(sut.code).toBe(MetaGatewayErrorCode.ACCOUNT_RESTRICTED);
    });

    it('should map a bodiless 401 with WWW-Authenticate invalid_token to AUTH_INVALID', () => {
      const sut = mapGraphApiError(
        answerErrorWith(401, '', { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "expired"' }),
      );

      expect(sut.code).toBe(MetaGatewayErrorCode.AUTH_INVALID);
    });

    it('should take fbtraceId from the x-fb-trace-id header when the body has none', () => {
      const sut = mapGraphApiError(answerErrorWith(503, 'down', { 'x-fb-trace-id': 'HEADERTRACE' }));

      expect(sut.fbtraceId).toBe('HEADERTRACE');
    });
  });

  describe('network failures', () => {
    it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN'])('should map %s to TRANSIENT', (code) => {
      const sut = mapGraphApiError(new GraphHttpError(`connect ${code} 127.0.0.1:1`, code));

      expect(sut.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(sut.httpStatus).toBeNull();
    });

    it.each([
      ['ECONNABORTED', 'timeout of 300ms exceeded'],
      ['ETIMEDOUT', 'timeout'],
      ['ERR_CANCELED', 'canceled'],
    ])('should map a timeout (%s) to TRANSIENT', (code, message) => {
      const sut = mapGraphApiError(new GraphHttpError(message, code));

      expect(sut.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(sut.message).toMatch(/timed out/);
    });

    it('should map an AbortSignal timeout to TRANSIENT', () => {
      const error = new Error('The operation was aborted due to timeout');
      error.name = 'TimeoutError';

      expect(mapGraphApiError(error).code).toBe(MetaGatewayErrorCode.TRANSIENT);
    });

    it('should map anything else to UNKNOWN and pass a MetaGatewayException through', () => {
      const existing = new MetaGatewayException(MetaGatewayErrorCode.NOT_FOUND, 'gone');

      expect(mapGraphApiError(new TypeError('boom')).code).toBe(MetaGatewayErrorCode.UNKNOWN);
      expect(mapGraphApiError('weird').code).toBe(MetaGatewayErrorCode.UNKNOWN);
      expect(mapGraphApiError(existing)).toBe(existing);
    });
  });

  describe('retryAfterSeconds', () => {
    it('should read estimated_time_to_regain_access (minutes) of the error', () => {
      const sut = mapGraphApiError(answerErrorWith(400, envelope({ code: 80008, estimated_time_to_regain_access: 3 })));

      expect(sut.retryAfterSeconds).toBe(180);
    });

    it('should read estimated_time_to_regain_access of error_data', () => {
      const sut = mapGraphApiError(
        answerErrorWith(400, envelope({ code: 80007, error_data: { estimated_time_to_regain_access: 2 } })),
      );

      expect(sut.retryAfterSeconds).toBe(120);
    });

    it("should read the call's own entry of X-Business-Use-Case-Usage for a throttling error", () => {
      const header = JSON.stringify({
        '111': [{ type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 19 }],
        '222': [{ type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 40 }],
      });
      const error = answerErrorWith(400, envelope({ code: 80008 }), { 'x-business-use-case-usage': header });

      expect(mapGraphApiError(error, { businessObjectId: '111' }).retryAfterSeconds).toBe(19 * 60);
      expect(mapGraphApiError(error).retryAfterSeconds).toBe(40 * 60);
    });

    it('should ignore usage headers for errors that are not throttling', () => {
      const header = JSON.stringify({ '111': [{ call_count: 100, estimated_time_to_regain_access: 19 }] });

      const sut = mapGraphApiError(
        answerErrorWith(400, envelope({ code: 100 }), { 'x-business-use-case-usage': header }),
      );

      expect(sut.retryAfterSeconds).toBeNull();
    });

    it('should read Retry-After in seconds and as an HTTP date', () => {
      expect(mapGraphApiError(answerErrorWith(503, 'busy', { 'retry-after': '2' })).retryAfterSeconds).toBe(2);
      expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', new Date('2015-10-21T07:28:00Z'))).toBe(30);
      expect(parseRetryAfter('soon')).toBeNull();
      expect(parseRetryAfter('0')).toBeNull();
    });

    it('should ask for ten minutes after 134101 (template still syncing)', () => {
      expect(mapGraphApiError(answerErrorWith(400, envelope({ code: 134101 }))).retryAfterSeconds).toBe(600);
    });

    it('should tolerate a malformed usage header', () => {
      const sut = mapGraphApiError(
        answerErrorWith(400, envelope({ code: 80008 }), { 'x-business-use-case-usage': '{not json' }),
      );

      expect(sut.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(sut.retryAfterSeconds).toBeNull();
    });
  });

  describe('secrets', () => {
    it('should redact tokens and given secrets from the message and details', () => {
      const sut = mapGraphApiResponse(
        400,
        {},
        envelope({
          code: 190,
          message: 'Bad token EAAGm0PX4ZCpsBAKZCvF0wZDZD12345 for input_token=abc&client_secret=shh',
          error_data: { details: 'secret s3cr3t-value leaked' },
        }),
        { secrets: ['s3cr3t-value'] },
      );

      expect(sut.message).not.toContain('EAAGm0PX4ZCpsBAKZCvF0wZDZD12345');
      expect(sut.message).not.toContain('shh');
      expect(sut.message).not.toContain('input_token=abc');
      expect(sut.metaDetails).not.toContain('s3cr3t-value');
    });
  });
});

describe(isOutcomeUnknown.name, () => {
  const unknown = (error: unknown): boolean => isOutcomeUnknown(error, mapGraphApiError(error));

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ERR_TLS_CERT_ALTNAME_INVALID'])(
    'should know a send failed with %s never left',
    (code) => {
      expect(unknown(new GraphHttpError(`connect ${code} 127.0.0.1:1`, code))).toBe(false);
    },
  );

  it.each([
    ['a reset', new GraphHttpError('read ECONNRESET', 'ECONNRESET')],
    ['a timeout', new GraphHttpError('timeout of 300ms exceeded', GraphHttpErrorCode.TIMEOUT)],
    ['an aborted call', new GraphHttpError('canceled', 'ERR_CANCELED')],
    ['a broken pipe', new GraphHttpError('write EPIPE', 'EPIPE')],
    ['an unexpected error', new TypeError('boom')],
  ])('should not know the outcome after %s', (_label, error) => {
    expect(unknown(error)).toBe(true);
  });

  it('should not know the outcome of an unreadable answer, 2xx or 5xx page', () => {
    expect(isOutcomeUnknown(undefined, mapGraphApiResponse(200, {}, '<html>'))).toBe(true);
    expect(unknown(answerErrorWith(502, '<html>Bad gateway</html>'))).toBe(true);
    expect(unknown(answerErrorWith(504, ''))).toBe(true);
  });

  it('should know a send Meta answered with a Graph error, or said it did not handle, did not go', () => {
    expect(unknown(answerErrorWith(500, envelope({ code: 1, is_transient: true })))).toBe(false);
    expect(unknown(answerErrorWith(400, envelope({ code: 131049 })))).toBe(false);
    expect(unknown(answerErrorWith(429, ''))).toBe(false);
    expect(unknown(answerErrorWith(404, ''))).toBe(false);
    expect(unknown(answerErrorWith(401, '', { 'WWW-Authenticate': 'OAuth "Facebook Platform" "invalid_token"' }))).toBe(
      false,
    );
  });

  it('should keep what is known of the answer when it turns a failure into OUTCOME_UNKNOWN', () => {
    const sut = toOutcomeUnknown(mapGraphApiResponse(200, { 'x-fb-trace-id': 'TRACE' }, '<html>'));

    expect(sut.code).toBe(MetaGatewayErrorCode.OUTCOME_UNKNOWN);
    expect(sut).toMatchObject({ httpStatus: 200, fbtraceId: 'TRACE' });
  });
});
