import type { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

import type { MarketingMessageStatus, RecipientType } from './mm-lite.constants';

/**
 * Why a send failed, in words a user can act on (`MarketingMessage.failure`): Meta's code and title, the
 * reason and the action of the failure table (marketing-send-failure.ts), Meta's own details when the code
 * has no row of its own.
 */
export interface MarketingMessageFailure {
  code: number;
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
