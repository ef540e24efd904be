import { createHmac } from 'node:crypto';

import { isValidMetaSignature } from './webhook-signature';

describe('isValidMetaSignature', () => {
  const secret = 'app-secret';
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
  const sign = (bytes: Buffer, key = secret) => `sha256=${createHmac('sha256', key).update(bytes).digest('hex')}`;

  it('should accept the HMAC-SHA256 of the exact raw bytes, in either hex case', () => {
    expect(isValidMetaSignature(body, sign(body), secret)).toBe(true);
    expect(isValidMetaSignature(body, sign(body).toUpperCase().replace('SHA256=', 'sha256='), secret)).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['another secret', sign(body, 'other')],
    ['another body', sign(Buffer.from(`${body.toString()} `))],
    ['sha1', 'sha1=0123'],
    ['a short digest', 'sha256=abcd'],
    ['garbage', 'not a signature'],
  ])('should refuse %s', (_case, header) => {
    expect(isValidMetaSignature(body, header, secret)).toBe(false);
  });

  it('should refuse everything when no app secret is configured', () => {
    expect(isValidMetaSignature(body, sign(body, ''), '')).toBe(false);
  });
});
