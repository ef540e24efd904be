import { digits } from './graph/graph-params.util';
import type { JsonObject, MarketingPreference, SimPhoneNumber } from './meta-simulator.types';
import { contactOf, parseRecipient, recipientOf, type SimRecipient } from './recipient-identity';
import type { SimulatorStateStore } from './simulator-state.store';

/** Meta's `detail` text of each preference (user_preferences webhook reference, 2026). */
const DETAILS: Record<MarketingPreference, string> = {
  stop: 'User requested to stop marketing messages',
  resume: 'User requested to resume marketing messages',
};

/**
 * The `value` of a `user_preferences` webhook (field `user_preferences`, entry = WABA): a user stopped or
 * resumed the marketing messages of the number's business. `wa_id` only when the phone is known; `user_id`
 * (BSUID) always, in `contacts[]` and the preference (graph-api-2026.md §A.6). `timestamp` is a number.
 */
export function userPreferenceValue(
  phone: SimPhoneNumber,
  recipient: SimRecipient,
  preference: MarketingPreference,
  nowSeconds: number,
): JsonObject {
  return {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: digits(phone.displayPhoneNumber), phone_number_id: phone.id },
    contacts: [contactOf(recipient, false)],
    user_preferences: [
      {
        ...(recipient.phone === null ? {} : { wa_id: recipient.phone }),
        user_id: recipient.bsuid,
        detail: DETAILS[preference],
        category: 'marketing_messages',
        value: preference,
        timestamp: nowSeconds,
      },
    ],
  };
}

/**
 * Records a user's marketing preference for the number's WABA and builds Meta's webhook about it (entry =
 * WABA, no `entry.time`, as in the documented example). Throws for an unknown number or preference.
 */
export function applyUserPreference(
  state: SimulatorStateStore,
  input: { phoneNumberId: string; recipient: string; preference: MarketingPreference },
  now: Date,
): JsonObject {
  if (input.preference !== 'stop' && input.preference !== 'resume') {
    throw new Error(`Invalid preference ${String(input.preference)}; stop or resume`);
  }
  const phone = state.phones.get(input.phoneNumberId);
  const waba = phone && state.wabas.get(phone.wabaId);
  if (!phone || !waba) {
    throw new Error(`Unknown phone number ${input.phoneNumberId}`);
  }
  const user = recipientOf(waba.businessId, parseRecipient(input.recipient));
  state.setMarketingPreference(waba.id, user, input.preference === 'stop');
  const value = userPreferenceValue(phone, user, input.preference, Math.floor(now.getTime() / 1000));
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: waba.id, changes: [{ value, field: 'user_preferences' }] }],
  };
}
