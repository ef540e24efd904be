import { MAX_JSON_DEPTH } from 'src/common/http/json-body';

import { WebhookUnprocessableReason } from './meta-webhooks.constants';
import { decodeWebhookBody } from './webhook-body.decoder';

describe(decodeWebhookBody.name, () => {
  const envelope = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}';

  it('should return the parsed payload and its text for plain UTF-8 JSON', () => {
    expect(decodeWebhookBody(Buffer.from(envelope))).toEqual({
      ok: true,
      payload: JSON.parse(envelope),
      text: envelope,
    });
  });

  it('should skip a UTF-8 byte order mark (RFC 8259 §8.1)', () => {
    const decoded = decodeWebhookBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(envelope)]));
    expect(decoded).toEqual({ ok: true, payload: JSON.parse(envelope), text: envelope });
  });

  it('should keep escaped backslashes and quotes out of the depth count', () => {
    const text = `{"a":"[[[[\\\\\\"{{{{","b":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect(decodeWebhookBody(Buffer.from(text))).toMatchObject({ ok: true });
  });

  it.each<[string, Buffer, WebhookUnprocessableReason]>([
    ['UTF-16 LE with a BOM', Buffer.from(`\ufeff${envelope}`, 'utf16le'), WebhookUnprocessableReason.NOT_UTF8],
    [
      'UTF-16 BE BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(envelope)]),
      WebhookUnprocessableReason.NOT_UTF8,
    ],
    ['UTF-16 without a BOM', Buffer.from(envelope, 'utf16le'), WebhookUnprocessableReason.INVALID_JSON],
    ['an invalid UTF-8 sequence', Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), WebhookUnprocessableReason.NOT_UTF8],
    ['truncated JSON', Buffer.from('{"object":'), WebhookUnprocessableReason.INVALID_JSON],
    ['a JSON array', Buffer.from('[{"object":"whatsapp_business_account"}]'), WebhookUnprocessableReason.NOT_AN_OBJECT],
    ['a JSON string', Buffer.from('"object"'), WebhookUnprocessableReason.NOT_AN_OBJECT],
    [
      'nesting one level too deep',
      Buffer.from(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`),
      WebhookUnprocessableReason.TOO_DEEP,
    ],
    [
      '200,000-deep nesting',
      Buffer.from(`${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`),
      WebhookUnprocessableReason.TOO_DEEP,
    ],
    ['a \\u0000 escape in a value', Buffer.from('{"a":"x\\u0000y"}'), WebhookUnprocessableReason.NUL_CHARACTER],
    ['a \\u0000 escape in a key', Buffer.from('{"\\u0000":1}'), WebhookUnprocessableReason.NUL_CHARACTER],
    ['a lone high surrogate', Buffer.from('{"a":["\\ud800"]}'), WebhookUnprocessableReason.LONE_SURROGATE],
    ['a lone low surrogate', Buffer.from('{"a":"\\udc00x"}'), WebhookUnprocessableReason.LONE_SURROGATE],
  ])('should report %s', (_case, raw, reason) => {
    expect(decodeWebhookBody(raw)).toEqual({ ok: false, reason });
  });

  it.each([
    ['an escaped backslash before u0000 (a literal backslash, no U+0000)', '{"a":"\\\\u0000"}', { a: '\\u0000' }],
    ['escapes of other characters', '{"a":"caf\\u00e9 \\u0041"}', { a: 'café A' }],
  ])('should accept %s', (_case, text, payload) => {
    expect(decodeWebhookBody(Buffer.from(text))).toEqual({ ok: true, payload, text });
  });

  it('should accept a surrogate pair (an emoji) written as escapes', () => {
    expect(decodeWebhookBody(Buffer.from('{"a":"\\ud83d\\ude00"}'))).toMatchObject({ ok: true, payload: { a: '😀' } });
  });
});
