import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { Client } from 'pg';

import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

/** What a generated input breaks, so the answer can be checked for naming it. */
interface BadInput {
  label: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  /** Raw body bytes (already serialized) and their content type. */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Send the body gzip-compressed (`Content-Encoding: gzip`). */
  gzip?: boolean;
  /** The field the answer must name (`errors[].field`, or the detail for body-level faults); null: any 4xx problem. */
  field: string | null;
  /** The exact status expected, when any 4xx would not do. */
  status?: number;
}

type Auth = 'key' | 'admin' | 'none';
type FieldKind =
  | 'metaId'
  | 'uuid'
  | 'limit'
  | 'cursor'
  | 'timestamp'
  | { enum: string[] }
  | { maxLength: number }
  | { pattern: 'phone' | 'templateName' | 'language' | 'e164' }
  | 'code'
  | 'template';

/** One endpoint of api-contract.md: its path template, auth, and the inputs it takes. */
interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  auth: Auth;
  params?: Record<string, FieldKind>;
  query?: Record<string, FieldKind>;
  body?: { fields: Record<string, FieldKind>; required: string[]; valid: Record<string, unknown> };
}

const ENDPOINTS: Endpoint[] = [
  {
    method: 'POST',
    path: '/api/v1/organizations',
    auth: 'admin',
    body: { fields: { name: { maxLength: 100 } }, required: ['name'], valid: { name: 'Acme' } },
  },
  { method: 'GET', path: '/api/v1/organization', auth: 'key' },
  { method: 'GET', path: '/api/v1/events', auth: 'key' },
  {
    method: 'POST',
    path: '/api/v1/organization/api-keys',
    auth: 'key',
    body: { fields: { name: { maxLength: 100 } }, required: [], valid: { name: 'CI' } },
  },
  { method: 'GET', path: '/api/v1/organization/api-keys', auth: 'key' },
  { method: 'DELETE', path: '/api/v1/organization/api-keys/{id}', auth: 'key', params: { id: 'uuid' } },
  {
    method: 'GET',
    path: '/api/v1/audit-events',
    auth: 'key',
    query: {
      limit: 'limit',
      cursor: 'cursor',
      wabaId: 'metaId',
      phoneNumberId: 'metaId',
      type: { enum: ['WABA_CONNECTED', 'PHONE_NUMBER_ADDED'] },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/wabas',
    auth: 'key',
    query: {
      limit: 'limit',
      cursor: 'cursor',
      status: { enum: ['ACTIVE', 'DISABLED'] },
      mmLiteStatus: { enum: ['ONBOARDED', 'NOT_ONBOARDED', 'NOT_STARTED'] },
      q: { maxLength: 100 },
    },
  },
  { method: 'GET', path: '/api/v1/wabas/{wabaId}', auth: 'key', params: { wabaId: 'metaId' } },
  {
    method: 'POST',
    path: '/api/v1/phone-numbers',
    auth: 'key',
    body: {
      fields: { code: 'code', wabaId: 'metaId', phoneNumberId: 'metaId', businessId: 'metaId' },
      required: ['code', 'wabaId', 'phoneNumberId'],
      valid: { code: 'AQBx-not-a-real-code', wabaId: '102290129340398', phoneNumberId: '106540352242922' },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/phone-numbers',
    auth: 'key',
    query: {
      limit: 'limit',
      cursor: 'cursor',
      wabaId: 'metaId',
      sendingChannel: { enum: ['CLOUD_API', 'MM_LITE'] },
    },
  },
  { method: 'GET', path: '/api/v1/phone-numbers/{phoneNumberId}', auth: 'key', params: { phoneNumberId: 'metaId' } },
  {
    method: 'PATCH',
    path: '/api/v1/phone-numbers/{phoneNumberId}',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
    body: {
      fields: { sendingChannel: { enum: ['CLOUD_API', 'MM_LITE'] } },
      required: ['sendingChannel'],
      valid: { sendingChannel: 'CLOUD_API' },
    },
  },
  {
    method: 'POST',
    path: '/api/v1/phone-numbers/{phoneNumberId}/register',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
  },
  {
    method: 'POST',
    path: '/api/v1/phone-numbers/{phoneNumberId}/marketing-messages',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
    body: {
      fields: { to: { pattern: 'e164' }, template: 'template' },
      required: ['to', 'template'],
      valid: { to: '+447700900123', template: { name: 'seasonal_sale_promo', language: 'en_US' } },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/phone-numbers/{phoneNumberId}/marketing-messages',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
    query: {
      limit: 'limit',
      cursor: 'cursor',
      status: { enum: ['UNKNOWN', 'ACCEPTED', 'SENT', 'DELIVERED', 'READ', 'FAILED'] },
      since: 'timestamp',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/phone-numbers/{phoneNumberId}/marketing-messages/summary',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
  },
  {
    method: 'GET',
    path: '/api/v1/wabas/{wabaId}/marketing-messages/summary',
    auth: 'key',
    params: { wabaId: 'metaId' },
  },
  { method: 'GET', path: '/api/v1/marketing-messages/{id}', auth: 'key', params: { id: 'uuid' } },
  { method: 'GET', path: '/api/v1/embedded-signup/config', auth: 'key' },
  { method: 'POST', path: '/api/v1/wabas/{wabaId}/sync', auth: 'key', params: { wabaId: 'metaId' } },
  { method: 'POST', path: '/api/v1/admin/sync-rounds', auth: 'admin' },
  { method: 'GET', path: '/api/v1/wabas/{wabaId}/mm-lite', auth: 'key', params: { wabaId: 'metaId' } },
  { method: 'POST', path: '/api/v1/wabas/{wabaId}/mm-lite/setup', auth: 'key', params: { wabaId: 'metaId' } },
  { method: 'POST', path: '/api/v1/wabas/{wabaId}/mm-lite/refresh', auth: 'key', params: { wabaId: 'metaId' } },
  {
    method: 'GET',
    path: '/api/v1/wabas/{wabaId}/templates',
    auth: 'key',
    params: { wabaId: 'metaId' },
    query: {
      limit: 'limit',
      cursor: 'cursor',
      category: { enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] },
      status: { enum: ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'] },
      q: { maxLength: 100 },
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sandbox/embedded-signup',
    auth: 'key',
    body: {
      fields: { wabaName: { maxLength: 100 }, displayPhoneNumber: { pattern: 'phone' } },
      required: [],
      valid: { wabaName: 'Sandbox' },
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sandbox/wabas/{wabaId}/events',
    auth: 'key',
    params: { wabaId: 'metaId' },
    body: {
      fields: {
        type: { enum: ['DISABLE', 'REINSTATE'] },
        phoneNumberId: 'metaId',
        qualityRating: { enum: ['GREEN', 'YELLOW', 'RED'] },
        templateName: { pattern: 'templateName' },
        category: { enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] },
        qualityScore: { enum: ['GREEN', 'YELLOW', 'RED'] },
      },
      required: ['type'],
      valid: { type: 'DISABLE' },
    },
  },
  {
    method: 'POST',
    path: '/api/v1/sandbox/phone-numbers/{phoneNumberId}/user-preferences',
    auth: 'key',
    params: { phoneNumberId: 'metaId' },
    body: {
      fields: { to: { pattern: 'e164' }, value: { enum: ['STOP', 'RESUME'] } },
      required: ['to', 'value'],
      valid: { to: '+447700900123', value: 'STOP' },
    },
  },
  { method: 'GET', path: '/webhooks/meta', auth: 'none' },
  { method: 'POST', path: '/webhooks/meta', auth: 'none' },
  { method: 'GET', path: '/health/live', auth: 'none' },
  { method: 'GET', path: '/health/ready', auth: 'none' },
  { method: 'GET', path: '/metrics', auth: 'none' },
];

const HUGE = 'x'.repeat(20_000);
// Under Node's 16 KiB header limit, so that the app (not the HTTP parser, which answers 431) sees it.
const URL_HUGE = 'x'.repeat(6_000);
// Thousands of levels: deep enough to overflow a recursive walk of the parsed body (validation did).
const DEEP_LEVELS = 5_000;
const DEEP_ARRAY = '['.repeat(DEEP_LEVELS) + ']'.repeat(DEEP_LEVELS);
const DEEP_OBJECT = '{"a":'.repeat(DEEP_LEVELS) + '1' + '}'.repeat(DEEP_LEVELS);
const CURSOR_UUID = '0b6a1f7e-3c1d-4e5f-8a9b-0c1d2e3f4a5b';
const cursorOf = (json: string | Buffer): string => Buffer.from(json).toString('base64url');
/**
 * Well-formed base64url whose content no list made: values that text, timestamptz or uuid columns cannot
 * hold (NUL, dates outside PostgreSQL's or JavaScript's range), text that is not Unicode, numbers where
 * the API writes strings, and arrays of the wrong shape, in the shapes of both the one-field (WABAs, phone
 * numbers) and the two-field (audit events) cursors, so that every list meets both.
 */
const HOSTILE_CURSORS = [
  cursorOf('["\\u0000"]'),
  cursorOf('["102290129340398\\u0000"]'),
  cursorOf(`["2024-01-01T00:00:00.000Z","\\u0000"]`),
  cursorOf(`["\\u0000","${CURSOR_UUID}"]`),
  cursorOf(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d])),
  cursorOf(Buffer.concat([Buffer.from('["2024-01-01T00:00:00.000Z","'), Buffer.from([0xc0, 0x80]), Buffer.from('"]')])),
  cursorOf('["\\ud800"]'),
  cursorOf(`["\\udfff","${CURSOR_UUID}"]`),
  cursorOf(`["+275760-09-13T00:00:00.000Z","${CURSOR_UUID}"]`),
  cursorOf(`["+999999-01-01","${CURSOR_UUID}"]`),
  cursorOf(`["-100000-01-01T00:00:00.000Z","${CURSOR_UUID}"]`),
  cursorOf(`["-100000","${CURSOR_UUID}"]`),
  cursorOf(`["0000-01-01T00:00:00.000Z","${CURSOR_UUID}"]`),
  cursorOf(`[8640000000000000,"${CURSOR_UUID}"]`),
  cursorOf(`["2024-01-01T00:00:00.000Z",1e400]`),
  cursorOf('[1e400]'),
  cursorOf('[123456789012345678901234567890]'),
  cursorOf('[102290129340398]'),
  cursorOf('[true]'),
  cursorOf('[null]'),
  cursorOf('[{"wabaId":"1"}]'),
  cursorOf('[["1"]]'),
  cursorOf('["1","2","3"]'),
  cursorOf(`["2024-01-01T00:00:00.000Z","${CURSOR_UUID}","extra"]`),
  cursorOf(JSON.stringify(['1'.repeat(7_500)])),
];
const INJECTIONS = ["1' OR '1'='1", '1; DROP TABLE wabas; --', '../../etc/passwd', '${7*7}', '<script>1</script>'];

/** Values that no field of `kind` accepts. */
function badValues(kind: FieldKind): unknown[] {
  const wrongTypes: unknown[] = [12345, true, { nested: 'object' }, ['array'], null];
  if (kind === 'metaId') {
    return [
      ...wrongTypes,
      'abc',
      '',
      ' 123',
      '١٢٣٤٥٦',
      '1.5',
      '-1',
      '9'.repeat(40),
      '\u0000',
      '102290129340398\u0000',
      ...INJECTIONS,
    ];
  }
  if (kind === 'uuid') {
    return [
      ...wrongTypes,
      'not-a-uuid',
      '00000000-0000-0000-0000-00000000000g',
      '\u0000',
      '00000000-0000-4000-8000-000000000000\u0000',
      URL_HUGE,
      ...INJECTIONS,
    ];
  }
  if (kind === 'code') {
    return [...wrongTypes, '', HUGE, 'code\u0000with-nul'];
  }
  if (kind === 'template') {
    return [
      ...wrongTypes,
      'seasonal_sale_promo',
      {},
      { name: 'Bad Name!', language: 'en_US' },
      { name: 'ok_name', language: 'english' },
      { name: 'ok_name', language: 'en_US', components: 'not-an-array' },
      { name: 'ok_name', language: 'en_US', extra: 1 },
      { name: 'ok_name', language: 'en_US', components: [{ type: 'body', parameters: [{ text: 'nul\u0000' }] }] },
      { name: 'ok_name', language: 'en_US', components: [{ type: 'body', parameters: [{ text: '\ud83d' }] }] },
    ];
  }
  if (kind === 'limit' || kind === 'cursor' || kind === 'timestamp') {
    return [];
  }
  if ('enum' in kind) {
    return [...wrongTypes, 'NOT_A_VALUE', `${kind.enum[0]}\u200b`, kind.enum[0].toLowerCase(), ...INJECTIONS];
  }
  if ('maxLength' in kind) {
    return [
      12345,
      true,
      { nested: 'object' },
      ['array'],
      'x'.repeat(kind.maxLength + 1),
      '😀'.repeat(kind.maxLength + 1),
      'bell\u0007control',
      'nul\u0000inside',
      // JSON's \ud800 escape is the one way to send a string that is not Unicode; UTF-8 would store U+FFFD.
      'lone\ud800surrogate',
      '\udfff',
    ];
  }
  return [...wrongTypes, 'not a phone', '+0000', '١٢٣٤٥٦٧٨', HUGE, ...INJECTIONS];
}

/** Query-string values (always strings) that a query field of `kind` rejects. */
function badQueryValues(kind: FieldKind): string[] {
  if (kind === 'limit') {
    // Only plain ASCII decimal digits are a number: not hex, exponents, signs, spaces or other scripts' digits.
    const spellings = [
      '0x10',
      '0X10',
      '0b1',
      '0o7',
      '1e1',
      ' 10',
      '10 ',
      '+10',
      '10.0',
      '-1',
      '１０',
      '1_0',
      'Infinity',
    ];
    return ['0', '101', 'abc', '1.5', '99999999999999999999', '', '١٠', ...spellings];
  }
  if (kind === 'cursor') {
    return [
      '!!!',
      'bm90LWpzb24',
      Buffer.from('{"x":1}').toString('base64url'),
      'x'.repeat(5000),
      ...INJECTIONS,
      ...HOSTILE_CURSORS,
    ];
  }
  if (kind === 'metaId') {
    return ['abc', '١٢٣٤٥٦', '9'.repeat(40), '\u0000', '102290129340398\u0000', ...INJECTIONS];
  }
  if (kind === 'timestamp') {
    // An ISO 8601 time only: not a word, an impossible date, a number, a year PostgreSQL or JavaScript cannot hold.
    return [
      'yesterday',
      '2026-02-30T00:00:00Z',
      '2026-13-01',
      '1733356800',
      '2026-12-04T25:00:00Z',
      '+275760-09-13T00:00:00.000Z',
      '-100000-01-01T00:00:00Z',
      '2026-12-04T00:00:00Z\u0000',
      '',
      ...INJECTIONS,
    ];
  }
  if (typeof kind === 'object' && 'enum' in kind) {
    return ['NOT_A_VALUE', `${kind.enum[0]}\u200b`, kind.enum[0].toLowerCase(), ...INJECTIONS];
  }
  if (typeof kind === 'object' && 'maxLength' in kind) {
    return ['x'.repeat(kind.maxLength + 1), '😀'.repeat(kind.maxLength + 1), 'nul\u0000inside'];
  }
  return [];
}

function generate(endpoint: Endpoint, sample: Record<string, string>): BadInput[] {
  const inputs: BadInput[] = [];
  const validParams = Object.fromEntries(Object.keys(endpoint.params ?? {}).map((name) => [name, sample[name]]));
  const pathWith = (params: Record<string, string>): string =>
    endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
  const base = { method: endpoint.method, path: pathWith(validParams) };
  const jsonBody = endpoint.body ? JSON.stringify(endpoint.body.valid) : undefined;

  for (const [name, kind] of Object.entries(endpoint.params ?? {})) {
    for (const value of badValues(kind).filter((value): value is string => typeof value === 'string' && value !== '')) {
      inputs.push({
        label: `path ${name}=${JSON.stringify(value).slice(0, 40)}`,
        ...base,
        path: pathWith({ ...validParams, [name]: value }),
        body: jsonBody,
        field: name,
      });
    }
  }
  if (endpoint.query) {
    for (const [name, kind] of Object.entries(endpoint.query)) {
      for (const value of badQueryValues(kind)) {
        inputs.push({ label: `query ${name}=${value.slice(0, 40)}`, ...base, query: { [name]: value }, field: name });
      }
      inputs.push({ label: `query ${name} repeated`, ...base, path: `${base.path}?${name}=a&${name}=b`, field: name });
    }
    inputs.push({ label: 'unknown query field', ...base, query: { unexpected: '1' }, field: 'unexpected' });
  }
  // Every route that can take a body, whether it reads one or not: the parser runs before the route.
  if (endpoint.method !== 'GET') {
    const deep = (label: string, body: string, gzip = false): BadInput => ({
      label: `${DEEP_LEVELS}-level ${label}${gzip ? ', gzip' : ''}`,
      ...base,
      body,
      gzip,
      field: 'body',
      status: 400,
    });
    const inField = endpoint.body
      ? JSON.stringify({ ...endpoint.body.valid, [Object.keys(endpoint.body.fields)[0]]: '__DEEP__' }).replace(
          '"__DEEP__"',
          DEEP_ARRAY,
        )
      : `{"unexpected":${DEEP_ARRAY}}`;
    inputs.push(
      deep('array body', DEEP_ARRAY),
      deep('object body', DEEP_OBJECT),
      deep('value in a field', inField),
      deep('array body', DEEP_ARRAY, true),
    );
  }
  if (endpoint.body) {
    const { fields, required, valid } = endpoint.body;
    inputs.push(
      { label: 'text/plain body', ...base, body: 'name=x', contentType: 'text/plain', field: 'content-type' },
      {
        label: 'form body',
        ...base,
        body: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
        field: 'content-type',
      },
      { label: 'truncated JSON', ...base, body: '{"name":', field: null },
      { label: 'JSON with trailing garbage', ...base, body: `${jsonBody} trailing`, field: null },
      { label: 'JSON string body', ...base, body: '"just a string"', field: null },
      { label: 'JSON number body', ...base, body: '42', field: null },
      { label: 'JSON null body', ...base, body: 'null', field: null },
      { label: 'JSON array body', ...base, body: '[1,2,3]', field: null },
      {
        label: 'oversized body',
        ...base,
        body: JSON.stringify({ ...valid, padding: 'x'.repeat(300_000) }),
        field: null,
      },
      {
        label: 'unknown field',
        ...base,
        body: JSON.stringify({ ...valid, unexpected: 'value' }),
        field: 'unexpected',
      },
    );
    for (const name of required) {
      const { [name]: _dropped, ...rest } = valid;
      inputs.push({ label: `missing ${name}`, ...base, body: JSON.stringify(rest), field: name });
    }
    for (const [name, kind] of Object.entries(fields)) {
      for (const value of badValues(kind)) {
        if (value === null && !required.includes(name)) {
          continue;
        }
        inputs.push({
          label: `body ${name}=${JSON.stringify(value).slice(0, 40)}`,
          ...base,
          body: JSON.stringify({ ...valid, [name]: value }),
          field: name,
        });
      }
    }
  }
  return inputs;
}

/**
 * Inputs of the two webhook routes, which have their own rules (verify token, signature). Signed bytes
 * that are not a storable JSON object (too deep, not JSON, an array…) are not among them: Meta would
 * redeliver a 4xx for days, so they are acknowledged and parked (meta-webhooks-hostile e2e).
 */
function webhookInputs(sut: TestApp): BadInput[] {
  const sign = (body: string) => ({ 'X-Hub-Signature-256': sut.simulator.signWebhook(body) });
  return [
    { label: 'verify without params', method: 'GET', path: '/webhooks/meta', field: null },
    {
      label: 'verify with wrong mode',
      method: 'GET',
      path: '/webhooks/meta',
      query: { 'hub.mode': 'unsubscribe', 'hub.verify_token': 'x', 'hub.challenge': '1' },
      field: null,
    },
    {
      label: 'verify with huge challenge and wrong token',
      method: 'GET',
      path: '/webhooks/meta',
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': URL_HUGE, 'hub.challenge': URL_HUGE },
      field: null,
    },
    { label: 'unsigned delivery', method: 'POST', path: '/webhooks/meta', body: '{"object":"x"}', field: null },
    {
      label: 'badly signed delivery',
      method: 'POST',
      path: '/webhooks/meta',
      body: '{"object":"x"}',
      headers: { 'X-Hub-Signature-256': 'sha256=00' },
      field: null,
    },
    {
      label: 'signed, text/plain',
      method: 'POST',
      path: '/webhooks/meta',
      body: 'hello',
      contentType: 'text/plain',
      headers: sign('hello'),
      field: 'content-type',
    },
    {
      label: `signed, ${DEEP_LEVELS} levels deep, gzip`,
      method: 'POST',
      path: '/webhooks/meta',
      body: DEEP_OBJECT,
      gzip: true,
      headers: sign(DEEP_OBJECT),
      field: 'content-encoding',
      status: 415,
    },
    // The signature is checked before anything else looks at the body: a forged deep body is a 401.
    {
      label: `badly signed, ${DEEP_LEVELS} levels deep`,
      method: 'POST',
      path: '/webhooks/meta',
      body: DEEP_OBJECT,
      headers: { 'X-Hub-Signature-256': sign('{}')['X-Hub-Signature-256'] },
      field: null,
      status: 401,
    },
    {
      label: `unsigned, ${DEEP_LEVELS} levels deep`,
      method: 'POST',
      path: '/webhooks/meta',
      body: DEEP_ARRAY,
      field: null,
      status: 401,
    },
    {
      label: 'signed, UTF-16',
      method: 'POST',
      path: '/webhooks/meta',
      body: '{"object":"whatsapp_business_account"}',
      contentType: 'application/json; charset=utf-16',
      headers: sign('{"object":"whatsapp_business_account"}'),
      field: 'content-type',
      status: 415,
    },
    {
      label: 'signed, oversized',
      method: 'POST',
      path: '/webhooks/meta',
      body: JSON.stringify({ object: 'x', padding: HUGE.repeat(20) }),
      field: null,
    },
  ];
}

/** A body sent with a given Content-Encoding, and what it must be answered with. */
interface EncodedBody {
  label: string;
  encoding: string;
  bytes: Buffer;
  /** Status for a caller with a valid credential; one without gets its 401 unless this is a 415. */
  status: 400 | 413 | 415;
}

/**
 * Bodies whose bytes are not what their Content-Encoding says, or in codings the API does not read. The
 * JSON inside is valid for no route, but none of them must get that far: 400 for undecodable bytes, 413
 * for a bomb, 415 for a coding that is unknown or stacked.
 */
function encodedBodies(): EncodedBody[] {
  const json = '{"name":"x"}';
  const gzip = gzipSync(json);
  return [
    { label: 'gzip header, plain bytes', encoding: 'gzip', bytes: Buffer.from(json), status: 400 },
    { label: 'truncated gzip', encoding: 'gzip', bytes: gzip.subarray(0, gzip.length - 6), status: 400 },
    { label: 'gzip header only', encoding: 'gzip', bytes: gzip.subarray(0, 10), status: 400 },
    {
      label: 'gzip with trailing garbage',
      encoding: 'gzip',
      bytes: Buffer.concat([gzip, Buffer.from('xx')]),
      status: 400,
    },
    { label: 'gzip with a flipped CRC', encoding: 'gzip', bytes: flipByte(gzip, gzip.length - 6), status: 400 },
    { label: 'broken deflate', encoding: 'deflate', bytes: Buffer.from('not deflate'), status: 400 },
    { label: 'broken br', encoding: 'br', bytes: Buffer.from('not brotli at all'), status: 400 },
    { label: 'br header, gzip data', encoding: 'br', bytes: gzip, status: 400 },
    { label: 'gzip header, deflate data', encoding: 'gzip', bytes: deflateSync(json), status: 400 },
    { label: 'deflate header, br data', encoding: 'deflate', bytes: brotliCompressSync(json), status: 400 },
    { label: 'gzip bomb', encoding: 'gzip', bytes: gzipSync(' '.repeat(20 * 1024 * 1024)), status: 413 },
    { label: 'stacked gzip, gzip', encoding: 'gzip, gzip', bytes: gzipSync(gzip), status: 415 },
    { label: 'stacked identity, gzip', encoding: 'identity, gzip', bytes: gzip, status: 415 },
    { label: 'unknown zstd', encoding: 'zstd', bytes: Buffer.from('(\u00b5/\u00fd'), status: 415 },
    { label: 'unknown compress', encoding: 'compress', bytes: Buffer.from('x'), status: 415 },
    { label: 'unknown coding token', encoding: 'x-hostile', bytes: Buffer.from(json), status: 415 },
  ];
}

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] ^= 0xff;
  return copy;
}

describe('Bad input on every endpoint (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let key: string;
  const tried: string[] = [];

  // Rate-limit buckets count requests (each authenticated one takes a unit), not data the input wrote.
  const rowCounts = async (): Promise<Record<string, number>> => {
    const tables = (
      await db.query<{ relname: string }>(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname NOT LIKE 'mikro_orm%' AND relname <> 'rate_limit_buckets'",
      )
    ).rows.map((row) => row.relname);
    const counts: Record<string, number> = {};
    for (const table of tables) {
      counts[table] = Number((await db.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n);
    }
    return counts;
  };

  const send = async (input: BadInput, auth: Auth) => {
    const url = new URL(input.path, sut.url);
    for (const [name, value] of Object.entries(input.query ?? {})) {
      url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = { ...input.headers };
    if (auth !== 'none') {
      headers.Authorization = `Bearer ${auth === 'admin' ? TEST_ADMIN_TOKEN : key}`;
    }
    if (input.body !== undefined) {
      headers['Content-Type'] = input.contentType ?? 'application/json';
    }
    if (input.gzip) {
      headers['Content-Encoding'] = 'gzip';
    }
    const body = input.body !== undefined && input.gzip ? gzipSync(input.body) : input.body;
    const response = await fetch(url, { method: input.method, headers, body });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  };

  beforeAll(async () => {
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Bad input')).key;
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
    process.stdout.write(`bad-input suite: ${tried.length} malformed inputs tried\n`);
  });

  it('should cover every endpoint of the OpenAPI document', async () => {
    const document = (await sut.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = new Set(ENDPOINTS.map((endpoint) => `${endpoint.method} ${endpoint.path}`));
    expect(documented.filter((operation) => !covered.has(operation))).toEqual([]);
  });

  // The webhook routes have their own rules (verify token, signature) and their own test below.
  it('should try the hostile number spellings on every numeric query parameter of the OpenAPI document', async () => {
    const document = (await sut.http().get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> }>
      >;
    };
    const numeric = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        (operation.parameters ?? [])
          .filter(
            (parameter) => parameter.in === 'query' && ['integer', 'number'].includes(parameter.schema?.type ?? ''),
          )
          .map((parameter) => `${method.toUpperCase()} ${path} ${parameter.name}`),
      ),
    );
    const covered = ENDPOINTS.flatMap((endpoint) =>
      Object.entries(endpoint.query ?? {})
        .filter(([, kind]) => kind === 'limit')
        .map(([name]) => `${endpoint.method} ${endpoint.path} ${name}`),
    );
    expect(numeric.length).toBeGreaterThan(0);
    expect(numeric.filter((parameter) => !covered.includes(parameter))).toEqual([]);
  });

  it.each(
    ENDPOINTS.filter(
      (endpoint) =>
        !endpoint.path.startsWith('/webhooks/') &&
        (endpoint.params || endpoint.query || endpoint.body || endpoint.method !== 'GET'),
    ),
  )(
    'should answer every malformed input of $method $path with a 4xx problem naming the field and write nothing',
    async (endpoint) => {
      const sample = {
        id: '00000000-0000-4000-8000-000000000000',
        wabaId: '102290129340398',
        phoneNumberId: '106540352242922',
      };
      const inputs = generate(endpoint, sample);
      expect(inputs.length).toBeGreaterThan(0);
      const before = await rowCounts();
      const failures: string[] = [];
      for (const input of inputs) {
        tried.push(`${endpoint.method} ${endpoint.path} ${input.label}`);
        const answer = await send(input, endpoint.auth);
        const problem = safeJson(answer.text);
        const named =
          input.field === null ||
          (Array.isArray(problem?.errors) &&
            problem.errors.some(
              (error: { field?: string }) =>
                error.field === input.field || String(error.field).startsWith(`${input.field}.`),
            ));
        if (
          answer.status < 400 ||
          answer.status >= 500 ||
          (input.status !== undefined && answer.status !== input.status) ||
          !answer.contentType.startsWith('application/problem+json') ||
          !named ||
          typeof problem?.detail !== 'string'
        ) {
          failures.push(`${input.label} → ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await rowCounts()).toEqual(before);
    },
  );

  // Without a valid key the body is never read: broken bytes get the 401, only the header-level 415 comes first.
  it.each(ENDPOINTS.filter((endpoint) => endpoint.method !== 'GET'))(
    'should answer broken, mismatched, stacked and unknown Content-Encodings on $method $path with a 4xx problem, with or without a valid key',
    async (endpoint) => {
      const path = endpoint.path
        .replace('{id}', '00000000-0000-4000-8000-000000000000')
        .replace('{wabaId}', '102290129340398')
        .replace('{phoneNumberId}', '106540352242922');
      const before = await rowCounts();
      const failures: string[] = [];
      const callers: Array<{ caller: string; authorization?: string }> =
        endpoint.auth === 'none'
          ? [{ caller: 'public' }]
          : [
              { caller: 'valid', authorization: `Bearer ${endpoint.auth === 'admin' ? TEST_ADMIN_TOKEN : key}` },
              { caller: 'no key' },
              { caller: 'unknown key', authorization: 'Bearer waak_not-a-key-0123456789abcdef' },
            ];
      for (const { caller, authorization } of callers) {
        for (const body of encodedBodies()) {
          tried.push(`${endpoint.method} ${endpoint.path} ${body.label}, ${caller}`);
          const headers: Record<string, string> = {
            'Content-Type': 'application/json',
            'Content-Encoding': body.encoding,
            ...(authorization ? { Authorization: authorization } : {}),
          };
          const response = await fetch(new URL(path, sut.url), { method: endpoint.method, headers, body: body.bytes });
          const text = await response.text();
          const problem = safeJson(text);
          // Public routes (the webhook) have rules of their own: any 4xx problem, never a 500.
          const expected = caller === 'public' ? null : caller === 'valid' || body.status === 415 ? body.status : 401;
          const field = body.status === 415 ? 'content-encoding' : 'body';
          const named =
            expected !== 400 && expected !== 415
              ? true
              : Array.isArray(problem?.errors) &&
                problem.errors.some((error: { field?: string }) => error.field === field);
          if (
            (expected === null ? response.status < 400 || response.status >= 500 : response.status !== expected) ||
            !(response.headers.get('content-type') ?? '').startsWith('application/problem+json') ||
            !named
          ) {
            failures.push(`${body.label}, ${caller} → ${response.status} ${text.slice(0, 160)}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(await rowCounts()).toEqual(before);
    },
  );

  it('should answer malformed webhook calls with a 4xx problem and store nothing', async () => {
    const before = await rowCounts();
    const failures: string[] = [];
    for (const input of webhookInputs(sut)) {
      tried.push(`webhook ${input.label}`);
      const answer = await send(input, 'none');
      const problem = safeJson(answer.text);
      const named =
        input.field === null ||
        (Array.isArray(problem?.errors) &&
          problem.errors.some((error: { field?: string }) => error.field === input.field));
      if (
        answer.status < 400 ||
        answer.status >= 500 ||
        (input.status !== undefined && answer.status !== input.status) ||
        !answer.contentType.startsWith('application/problem+json') ||
        !named
      ) {
        failures.push(`${input.label} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function safeJson(text: string): any {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
