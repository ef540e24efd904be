import { exceedsJsonDepth } from 'src/common/http/json-body';

import { WebhookUnprocessableReason } from './meta-webhooks.constants';

/** A verified delivery read as JSON that PostgreSQL `jsonb` can hold, or why it cannot be. */
export type DecodedWebhookBody =
  { ok: true; payload: unknown; text: string } | { ok: false; reason: WebhookUnprocessableReason };

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * A JSON text whose parsed strings could hold U+0000 or a surrogate: only an escape can put them there (raw,
 * U+0000 is not allowed in a JSON string and a surrogate is not valid UTF-8, which the fatal decoder refuses).
 * A text without one (Meta's usual delivery) needs no walk of its parsed value; an escaped backslash before a
 * `u` matches too, which only costs the walk.
 */
const ESCAPE_OF_UNSTORABLE = /\\u(?:0000|[dD][89a-fA-F])/;
// Stateless between calls (each decode is whole, not streamed): one decoder serves every delivery.
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads the bytes of a signed delivery (run only after the signature matched). A UTF-8 byte order mark is
 * skipped, as RFC 8259 §8.1 allows; anything else that is not a UTF-8 JSON object within the API's depth
 * limit (MAX_JSON_DEPTH, scanned on the bytes before parsing) whose strings `jsonb` can store is reported
 * with its reason, so that the caller parks it instead of failing.
 */
export function decodeWebhookBody(raw: Buffer): DecodedWebhookBody {
  const bytes = UTF8_BOM.every((byte, index) => raw[index] === byte) ? raw.subarray(UTF8_BOM.length) : raw;
  let text: string;
  try {
    // A UTF-16/32 byte order mark (FE FF, FF FE) is not valid UTF-8 either.
    text = UTF8_DECODER.decode(bytes);
  } catch {
    return { ok: false, reason: WebhookUnprocessableReason.NOT_UTF8 };
  }
  if (exceedsJsonDepth(bytes)) {
    return { ok: false, reason: WebhookUnprocessableReason.TOO_DEEP };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { ok: false, reason: WebhookUnprocessableReason.INVALID_JSON };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    // Every Meta delivery is an object ({ object, entry }).
    return { ok: false, reason: WebhookUnprocessableReason.NOT_AN_OBJECT };
  }
  const unstorable = ESCAPE_OF_UNSTORABLE.test(text) ? findUnstorableString(payload) : null;
  return unstorable ? { ok: false, reason: unstorable } : { ok: true, payload, text };
}

/** The first reason a key or string of the parsed value cannot go into `jsonb`, if any. */
function findUnstorableString(value: unknown): WebhookUnprocessableReason | null {
  const check = (text: string): WebhookUnprocessableReason | null => {
    if (text.includes('\u0000')) {
      return WebhookUnprocessableReason.NUL_CHARACTER;
    }
    return LONE_SURROGATE.test(text) ? WebhookUnprocessableReason.LONE_SURROGATE : null;
  };
  if (typeof value === 'string') {
    return check(value);
  }
  if (value === null || typeof value !== 'object') {
    return null;
  }
  // Depth is bounded by the check above, so plain recursion is safe here.
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const found = (typeof key === 'string' ? check(key) : null) ?? findUnstorableString(item);
    if (found) {
      return found;
    }
  }
  return null;
}
