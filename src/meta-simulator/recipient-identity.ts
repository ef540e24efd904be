import { createHash } from 'node:crypto';

import { SIM_RECIPIENT_OUTCOMES } from './meta-simulator.constants';
import type { JsonObject, RecipientOutcome } from './meta-simulator.types';

/**
 * Country of a phone number's calling code, for the BSUID prefix (graph-api-2026.md §A.6). A short table
 * of common codes, longest first; other numbers get `ZZ` (user-assigned ISO code: "unknown here").
 */
const CALLING_CODES: Array<[string, string]> = [
  ['971', 'AE'],
  ['966', 'SA'],
  ['234', 'NG'],
  ['254', 'KE'],
  ['27', 'ZA'],
  ['20', 'EG'],
  ['91', 'IN'],
  ['62', 'ID'],
  ['55', 'BR'],
  ['52', 'MX'],
  ['54', 'AR'],
  ['57', 'CO'],
  ['44', 'GB'],
  ['49', 'DE'],
  ['33', 'FR'],
  ['34', 'ES'],
  ['39', 'IT'],
  ['31', 'NL'],
  ['1', 'US'],
];

/**
 * The BSUID Meta gives a phone-number user in a business portfolio: `<country>.<digits>`, stable per
 * portfolio and number, different across portfolios (§A.6). Derived, so that nothing needs storing.
 */
export function bsuidOf(businessId: string, phoneDigits: string): string {
  const country = CALLING_CODES.find(([code]) => phoneDigits.startsWith(code))?.[1] ?? 'ZZ';
  const hash = createHash('sha256').update(`${businessId}:${phoneDigits}`).digest();
  return `${country}.${hash.readBigUInt64BE(0).toString()}`;
}

/** A recipient of a send: its phone digits when the send named one, and its BSUID either way. */
export interface SimRecipient {
  phone: string | null;
  bsuid: string;
}

/** The recipient of a send `to` a phone number or to a `recipient` BSUID, in the portfolio `businessId`. */
export function recipientOf(businessId: string, to: { phone: string } | { bsuid: string }): SimRecipient {
  return 'phone' in to ? { phone: to.phone, bsuid: bsuidOf(businessId, to.phone) } : { phone: null, bsuid: to.bsuid };
}

/**
 * The `contacts[]` entry of a webhook about a user (§A.6): profile name, `wa_id` when the phone is known,
 * `user_id` always; `username` only when asked (a user who hides the phone has one; never on `sent`).
 */
export function contactOf(recipient: SimRecipient, withUsername: boolean): JsonObject {
  const tail = (recipient.phone ?? recipient.bsuid).slice(-4);
  const profile: JsonObject = { name: `Customer ${tail}` };
  if (withUsername) {
    profile.username = `@customer${tail}`;
  }
  return {
    profile,
    ...(recipient.phone === null ? {} : { wa_id: recipient.phone }),
    user_id: recipient.bsuid,
  };
}

/** A recipient as a test or the sandbox names it: a BSUID (`US.…`) as given, else the phone number's digits. */
export function parseRecipient(raw: string): { phone: string } | { bsuid: string } {
  return /^[A-Z]{2}\./.test(raw) ? { bsuid: raw } : { phone: raw.replace(/\D/g, '') };
}

/** The key of a recipient's outcome: the BSUID, or the phone digits. */
export function recipientKey(raw: string): string {
  const parsed = parseRecipient(raw);
  return 'bsuid' in parsed ? parsed.bsuid : parsed.phone;
}

/** The outcome, once known to be one; throws for anything else. */
export function checkedOutcome(outcome: string): RecipientOutcome {
  const known: readonly string[] = SIM_RECIPIENT_OUTCOMES;
  if (!known.includes(outcome)) {
    throw new Error(`Invalid recipient outcome ${outcome}; one of ${known.join(', ')}`);
  }
  return outcome as RecipientOutcome;
}
