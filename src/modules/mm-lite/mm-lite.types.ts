import type { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

import type { MarketingMessageStatus, RecipientType } from './mm-lite.constants';

/**
 * Why a send failed, in words a user can act on (`MarketingMessage.failure`): Meta's code and title, the
 * reason and the action of the failure table (marketing-send-failure.ts), Meta's own details when the code
 * has no row of its own.
 */
export interface MarketingMessageFailure {
  /** Meta's error code; null only for a send that failed before Meta answered with one (Meta unreachable). */
  code: number | null;
  title: string | null;
  reason: string;
  action: string;
}

/** A recorded marketing send as the API shows it (`MarketingMessage` of the contract). */
export interface MarketingMessageView {
  /** Our ID, made when the send was recorded (before the Graph call). */
  id: string;
  /** Meta's message ID; null while the send's outcome is unknown. */
  messageId: string | null;
  /** Meta's phone number ID of the sending number. */
  phoneNumberId: string;
  /** Meta's WABA ID. */
  wabaId: string;
  channel: SendingChannel;
  template: { name: string; language: string; category: string | null };
  recipient: { phone: string; countryCallingCode: string | null } | { bsuid: string; countryCallingCode: null };
  recipientType: RecipientType;
  status: MarketingMessageStatus;
  failure: MarketingMessageFailure | null;
  /** When the send was made (our clock). */
  sentAt: Date;
  updatedAt: Date;
}

/** One `statuses[]` entry of a `messages` webhook (graph-api-reference.md §6.8), as its receiver read it. */
export interface MessageStatusReport {
  /** `id`: Meta's message ID (`wamid…`). */
  messageId: string;
  /** `status`: only SENT, DELIVERED, READ or FAILED (the receiver drops Meta's other statuses). */
  status: MarketingMessageStatus;
  /** `timestamp`: Meta's time of the status. */
  at: Date;
  /** `biz_opaque_callback_data` when it is one of our send IDs (a UUID), else null. */
  callbackData: string | null;
  /**
   * Whom it went to, as sends name recipients: `+` and `recipient_id`, `recipient_user_id`,
   * `recipient_parent_user_id` (whichever are present; graph-api-2026 §A.6).
   */
  recipients: string[];
  /** `errors[0]` of a `failed` status: code, title, `error_data.details` (or `message`). */
  error: { code: number; title: string | null; details: string | null } | null;
  /** `pricing.category` (`marketing`, `marketing_lite` …). */
  pricingCategory: string | null;
}

/** One `user_preferences[]` entry about marketing messages: a user stopped or resumed them. */
export interface MarketingPreferenceReport {
  /** `+` and `wa_id`, `user_id`, `parent_user_id` (whichever are present). */
  recipients: string[];
  /** `value`: true for `stop`, false for `resume`. */
  stop: boolean;
  /** `timestamp`: Meta's time of the user's choice. */
  at: Date;
}

/** What applying a change's statuses came to: sends updated, statuses matching no send of ours. */
export interface StatusesApplied {
  matched: number;
  ignored: number;
}
