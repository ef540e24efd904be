import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/**
 * True when `header` is `sha256=<hex HMAC-SHA256 of the raw body keyed with the app secret>` (§6.2).
 * Compared in constant time on the decoded bytes; any malformed header is simply false.
 */
export function isValidMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !appSecret) {
    return false;
  }
  const match = SIGNATURE_PATTERN.exec(header.trim());
  if (!match?.[1]) {
    return false;
  }
  const received = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}
