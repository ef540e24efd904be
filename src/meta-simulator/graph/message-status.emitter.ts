import { randomBytes } from 'node:crypto';

import type { JsonObject, SimPhoneNumber, SimTemplate, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphApiHandlerConfig } from './graph-api.types';
import { digits } from './graph-params.util';

/** Async outcomes of template sends reported through `messages` status webhooks (§5.7). */
const ASYNC_FAILURES: Record<
  'per_user_limit' | 'opted_out' | 'experiment',
  { code: number; title: string; details: string }
> = {
  per_user_limit: {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  opted_out: {
    code: 131050,
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The recipient has opted out of marketing messages from this business.',
  },
  experiment: {
    code: 130472,
    title: "User's number is part of an experiment",
    details: 'Failed to send message because this user’s phone number is part of an experiment.',
  },
};

/** An accepted message whose status webhooks are due. */
export interface AcceptedSend {
  waba: SimWaba;
  phone: SimPhoneNumber;
  wamid: string;
  /** `wa_id` digits for a phone-number recipient, else the BSUID as given. */
  recipientId: string;
  /** Sent to a BSUID (`recipient`): statuses then carry `recipient_user_id`, not the unknown phone (§A.6). */
  bsuid?: boolean;
  template: SimTemplate | null;
  /** Billed category (`marketing`, `marketing_lite`, `utility`, `service`…). */
  category: string;
  /** `biz_opaque_callback_data` of the send, echoed in every status. */
  callbackData: string | undefined;
}

/** The `messages` status webhooks of accepted sends (§5.7, §6.8), delivered in the background. */
export class MessageStatusEmitter {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<
      GraphApiHandlerConfig,
      'now' | 'statusWebhooks' | 'webhookUrl' | 'emitWebhook' | 'buildWebhook'
    >,
  ) {}

  /** Emits the status webhook of a send: asynchronous failures always, `sent` when configured (§5.7, §6.8). */
  schedule(version: string, send: AcceptedSend): void {
    if (this.config.statusWebhooks === 'none' || !this.config.webhookUrl()) {
      return;
    }
    const marketing = send.template?.category === 'MARKETING';
    let outcome = this.state.recipients.get(send.recipientId);
    // Marketing templates to US (+1) numbers, and to users of the US region known by BSUID, are not delivered
    // since 2025-04-01 (§5.7).
    if (marketing && outcome === undefined && /^(1\d{10}$|US\.)/.test(send.recipientId)) {
      outcome = 'per_user_limit';
    }
    const status: JsonObject = {
      id: send.wamid,
      status: 'sent',
      timestamp: String(Math.floor(this.config.now().getTime() / 1000)),
      ...(send.bsuid ? { recipient_user_id: send.recipientId } : { recipient_id: send.recipientId }),
    };
    if (outcome && outcome !== 'delivered' && marketing) {
      const failure = ASYNC_FAILURES[outcome];
      status.status = 'failed';
      status.errors = [
        {
          code: failure.code,
          title: failure.title,
          message: failure.title,
          error_data: { details: failure.details },
          href: '/documentation/business-messaging/whatsapp/support/error-codes',
        },
      ];
    } else if (this.config.statusWebhooks === 'all') {
      const pricing: JsonObject = { billable: true, pricing_model: 'PMP', type: 'regular', category: send.category };
      if (Number(version.replace(/^v/, '')) < 24) {
        status.conversation = {
          id: randomBytes(16).toString('hex'),
          expiration_timestamp: String(Math.floor(this.config.now().getTime() / 1000) + 86400),
          origin: { type: send.category },
        };
        status.pricing = pricing;
      } else {
        // From v24.0 `sent` carries neither conversation nor pricing; pricing comes with `delivered` (§6.8).
        this.emit(send, status);
        this.emit(send, { ...status, status: 'delivered', pricing });
        return;
      }
    } else {
      return;
    }
    this.emit(send, status);
  }

  private emit(send: AcceptedSend, status: JsonObject): void {
    const statusWithCallback: JsonObject =
      send.callbackData === undefined ? status : { ...status, biz_opaque_callback_data: send.callbackData };
    const value: JsonObject = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: digits(send.phone.displayPhoneNumber), phone_number_id: send.phone.id },
      statuses: [statusWithCallback],
    };
    this.config.emitWebhook(this.config.buildWebhook('messages', value, send.waba.id, null));
  }
}
