import { randomBytes } from 'node:crypto';

import type {
  JsonObject,
  RecipientOutcome,
  SimPhoneNumber,
  SimTemplate,
  SimWaba,
} from 'src/meta-simulator/meta-simulator.types';
import { contactOf, type SimRecipient } from 'src/meta-simulator/recipient-identity';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphApiHandlerConfig } from './graph-api.types';
import { digits } from './graph-params.util';
import { type PlannedStatus, planStatuses } from './message-status.plan';

/** An accepted message whose status webhooks are due. */
export interface AcceptedSend {
  waba: SimWaba;
  phone: SimPhoneNumber;
  wamid: string;
  /** Who it went to: the phone digits when the send named a number (`to`), and the BSUID. */
  recipient: SimRecipient;
  template: SimTemplate | null;
  /** Billed category (`marketing`, `marketing_lite`, `utility`, `service`…). */
  category: string;
  /** `biz_opaque_callback_data` of the send, echoed in every status. */
  callbackData: string | undefined;
}

/**
 * The `messages` status webhooks of accepted sends (§5.7, §6.8, graph-api-2026.md §A.6), planned at
 * acceptance ({@link planStatuses}) and delivered in order in the background, each at its delay.
 */
export class MessageStatusEmitter {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<
      GraphApiHandlerConfig,
      'now' | 'statusWebhooks' | 'webhookUrl' | 'emitWebhooks' | 'buildWebhook'
    >,
  ) {}

  /** Plans and starts delivering the status webhooks of a send. */
  schedule(version: string, send: AcceptedSend): void {
    if (!this.config.webhookUrl()) {
      return;
    }
    const marketing = send.template?.category === 'MARKETING';
    const planned = planStatuses(this.config.statusWebhooks, {
      outcome: this.outcomeOf(send, marketing),
      marketing,
      version: Number(version.replace(/^v/, '')),
    });
    if (planned.length === 0) {
      return;
    }
    const acceptedAt = this.config.now().getTime();
    // One conversation per send: before v24.0 its `sent` and `delivered` name the same one.
    const conversationId = randomBytes(16).toString('hex');
    this.config.emitWebhooks(
      planned.map((step) => ({
        payload: this.payload(send, step, acceptedAt, conversationId, version),
        delayMs: step.delayMs,
      })),
    );
  }

  /**
   * What happens to the recipient: a marketing stop (`user_preferences`) first, then the outcome set for
   * the recipient, then the US rule: marketing templates to US (+1) numbers, and to US users known by BSUID,
   * are not delivered since 2025-04-01 (§5.7).
   */
  private outcomeOf(send: AcceptedSend, marketing: boolean): RecipientOutcome | undefined {
    const { phone, bsuid } = send.recipient;
    if (marketing && this.state.hasMarketingStop(send.waba.id, send.recipient)) {
      return 'opted_out';
    }
    const outcome = (phone === null ? undefined : this.state.recipients.get(phone)) ?? this.state.recipients.get(bsuid);
    if (
      marketing &&
      outcome === undefined &&
      (/^1\d{10}$/.test(phone ?? '') || (phone === null && /^US\./.test(bsuid)))
    ) {
      return 'per_user_limit';
    }
    return outcome;
  }

  private payload(
    send: AcceptedSend,
    step: PlannedStatus,
    acceptedAt: number,
    conversationId: string,
    version: string,
  ): JsonObject {
    const { phone, bsuid } = send.recipient;
    const timestamp = Math.floor((acceptedAt + step.delayMs) / 1000);
    const status: JsonObject = { id: send.wamid, status: step.status, timestamp: String(timestamp) };
    if (phone !== null) {
      status.recipient_id = phone;
    }
    // Failed statuses name the BSUID only when the send used it (§A.6); the others always do.
    if (step.status !== 'failed' || phone === null) {
      status.recipient_user_id = bsuid;
    }
    if (step.failure) {
      status.errors = [
        {
          code: step.failure.code,
          title: step.failure.title,
          message: step.failure.title,
          error_data: { details: step.failure.details },
          href: '/documentation/business-messaging/whatsapp/support/error-codes',
        },
      ];
    }
    if (step.billed) {
      if (Number(version.replace(/^v/, '')) < 24) {
        status.conversation = {
          id: conversationId,
          expiration_timestamp: String(Math.floor(acceptedAt / 1000) + 86400),
          origin: { type: send.category },
        };
      }
      status.pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: send.category };
    }
    if (send.callbackData !== undefined) {
      status.biz_opaque_callback_data = send.callbackData;
    }
    const value: JsonObject = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: digits(send.phone.displayPhoneNumber), phone_number_id: send.phone.id },
    };
    // No `contacts` on failed statuses; a username only after `sent`, for a user who hides the phone (§A.6).
    if (step.status !== 'failed') {
      value.contacts = [contactOf(send.recipient, step.status !== 'sent' && phone === null)];
    }
    value.statuses = [status];
    return this.config.buildWebhook('messages', value, send.waba.id, null);
  }
}
