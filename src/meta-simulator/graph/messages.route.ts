import { randomBytes } from 'node:crypto';

import { isJsonObject } from 'src/meta-simulator/http-io.util';
import { SIM_HIGH_THROUGHPUT_MPS } from 'src/meta-simulator/meta-simulator.constants';
import type {
  JsonObject,
  JsonValue,
  SimPhoneNumber,
  SimTemplate,
  SimWaba,
} from 'src/meta-simulator/meta-simulator.types';
import { recipientOf } from 'src/meta-simulator/recipient-identity';
import { findTemplate } from 'src/meta-simulator/sim-templates';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphApiHandlerConfig, GraphRequest } from './graph-api.types';
import { asString, digits } from './graph-params.util';
import type { MessageStatusEmitter } from './message-status.emitter';

/** Which send edge a message came through. */
export type SendEndpoint = 'messages' | 'marketing_messages';

/**
 * `POST /{phone}/messages` (Cloud API) and `POST /{phone}/marketing_messages` (MM Lite), §5.5–5.7: the
 * synchronous checks of a send, in Meta's order, then the accepted message and its status webhooks.
 */
export class MessagesRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'now' | 'throughputMps' | 'onMessageAccepted'>,
    private readonly statuses: MessageStatusEmitter,
  ) {}

  /** Sends one message; throws the Graph error of the first check it fails. */
  send(req: GraphRequest, waba: SimWaba, phone: SimPhoneNumber, endpoint: SendEndpoint): JsonObject {
    const params = req.params;
    if (asString(params.messaging_product) !== 'whatsapp') {
      throw GraphApiError.invalidParameter('(#100) The parameter messaging_product is required.');
    }
    if (phone.status !== 'CONNECTED') {
      throw GraphApiError.whatsapp(
        133010,
        'Account not registered',
        'The phone number is not registered on the WhatsApp Business Platform.',
      );
    }
    const nowSeconds = Math.floor(this.config.now().getTime() / 1000);
    this.assertWabaMaySend(waba, nowSeconds);
    const to = asString(params.to);
    // Both edges take a BSUID as `recipient` instead of `to`; when both are given `to` wins (§A.6).
    const recipient = to ? undefined : asString(params.recipient);
    if (!to && !recipient) {
      throw new GraphApiError({ code: 100, httpStatus: 400, message: 'The parameter to is required.' });
    }
    const type = asString(params.type) ?? 'text';
    if (endpoint === 'marketing_messages' && type !== 'template') {
      throw GraphApiError.invalidParameter('(#100) Invalid parameter', 'Message must be a template message.');
    }
    const template = type === 'template' ? this.resolveTemplate(waba, params.template) : null;
    let category = template ? template.category.toLowerCase() : 'service';
    if (endpoint === 'marketing_messages' && template) {
      category = this.marketingCategory(waba, template, params, { recipient, nowSeconds }) ?? category;
    }
    if (endpoint === 'messages' && template) {
      this.assertCloudApiTemplate(waba, template, recipient);
    }
    const target = to ?? recipient ?? '';
    this.takeRateLimits(phone, target);
    const wamid = `wamid.${randomBytes(30).toString('base64')}`;
    this.config.onMessageAccepted?.({
      id: wamid,
      phoneNumberId: phone.id,
      wabaId: waba.id,
      endpoint,
      to: target,
      template: template?.name ?? null,
      category,
      at: this.config.now().toISOString(),
    });
    // `contacts[0]` echoes the input, with `wa_id` for a phone send and `user_id` for a BSUID send (§A.6).
    const contact: JsonObject = to ? { input: to, wa_id: digits(to) } : { input: target, user_id: target };
    this.statuses.schedule(req.version, {
      waba,
      phone,
      wamid,
      recipient: recipientOf(waba.businessId, to ? { phone: digits(to) } : { bsuid: target }),
      template,
      category,
      callbackData: asString(params.biz_opaque_callback_data),
    });
    // `/marketing_messages` adds `message_status` to the accepted message (§A.6 response).
    const message: JsonObject =
      endpoint === 'marketing_messages' ? { id: wamid, message_status: 'accepted' } : { id: wamid };
    return { messaging_product: 'whatsapp', contacts: [contact], messages: [message] };
  }

  /**
   * The Cloud API checks of a template on `/messages`: a template with a max price only goes through the
   * Marketing Messages API (131061, §A.4.5); a BSUID cannot receive an authentication template (its OTP
   * button is one-tap, zero-tap or copy-code) nor a max-price one (131062, §A.6); marketing templates may be
   * switched off on Cloud API for an onboarded WABA (131063, §5.6).
   */
  private assertCloudApiTemplate(waba: SimWaba, template: SimTemplate, recipient: string | undefined): void {
    if (template.optimizationSpec) {
      throw GraphApiError.whatsapp(
        131061,
        'Marketing templates with max price are not supported by Cloud API',
        'This template carries a max price; send it through the Marketing Messages API (/marketing_messages) instead.',
      );
    }
    if (recipient && template.category === 'AUTHENTICATION') {
      throw GraphApiError.whatsapp(
        131062,
        'Business-scoped User ID (BSUID) recipients are not supported for this message.',
        'One-tap, zero-tap and copy-code authentication templates need a phone number recipient.',
      );
    }
    if (
      template.category === 'MARKETING' &&
      waba.disableMarketingMessagesOnCloudApi &&
      waba.marketingMessagesOnboardingStatus === 'ONBOARDED'
    ) {
      throw GraphApiError.whatsapp(
        131063,
        'Marketing templates disabled for Cloud API',
        'Your template is categorized as Marketing, but marketing templates are currently disabled for your Cloud API configuration. To send this template, use the Marketing Messages API for WhatsApp or enable marketing templates on Cloud API by turning off disable_marketing_messages_on_cloud_api.',
      );
    }
  }

  /** A disabled WABA cannot send at all (368); an active messaging restriction blocks sends (131031). */
  private assertWabaMaySend(waba: SimWaba, nowSeconds: number): void {
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      throw GraphApiError.wabaRestricted();
    }
    if (
      waba.state === 'RESTRICTED' &&
      waba.restrictions.some(
        (r) => r.expiration > nowSeconds && r.restrictionType === 'RESTRICTED_BIZ_INITIATED_MESSAGING',
      )
    ) {
      throw GraphApiError.accountLocked();
    }
  }

  /**
   * The MM Lite checks of a template send on `marketing_messages`; the billed category when the WABA is
   * onboarded (`marketing_lite`), else undefined (the send falls back to Cloud API with its own category).
   */
  private marketingCategory(
    waba: SimWaba,
    template: SimTemplate,
    params: JsonObject,
    send: { recipient: string | undefined; nowSeconds: number },
  ): string | undefined {
    if (template.category !== 'MARKETING') {
      throw GraphApiError.whatsapp(
        134100,
        'Only marketing messages supported',
        'Only marketing template messages are supported. Send utility and authentication templates with the Cloud API.',
      );
    }
    if (waba.marketingMessagesOnboardingStatus === 'ONBOARDED') {
      if (template.syncedAt > send.nowSeconds) {
        throw GraphApiError.whatsapp(
          134101,
          'Your template is still syncing',
          'Your template is still being synced. Wait up to 10 minutes and try again.',
        );
      }
      // A max price is the template's `optimization_spec`, or a send-time multiplier, which keeps the name
      // `bid_spec` on the send (§A.4.2). The details below are Meta's documented wording, old name included.
      if (send.recipient && (template.optimizationSpec || params.bid_spec !== undefined)) {
        throw GraphApiError.whatsapp(
          131062,
          'Business-scoped User ID (BSUID) recipients are not supported for this message.',
          'The template specified in the request uses bid_spec, which is not supported for Business-scoped user ID (BSUID) recipients. To send this template, please provide the phone number of recipients or use a template without the bid_spec field.',
        );
      }
      return 'marketing_lite';
    }
    if (asString(params.product_policy) === 'STRICT') {
      throw GraphApiError.whatsapp(
        134102,
        'Template unavailable for use',
        'This template is unavailable for use with the Marketing Messages API for WhatsApp. Please check your eligibility status (marketing_messages_lite_api_status).',
        500,
      );
    }
    // Not onboarded with the default CLOUD_API_FALLBACK policy: Meta routes the send through Cloud API.
    return undefined;
  }

  /** The number's messages-per-second limit (130429), then the business/consumer pair limit (131056). */
  private takeRateLimits(phone: SimPhoneNumber, target: string): void {
    const mps = phone.throughputLevel === 'HIGH' ? SIM_HIGH_THROUGHPUT_MPS : this.config.throughputMps;
    if (!this.state.takeThroughput(phone.id, mps)) {
      throw GraphApiError.whatsapp(
        130429,
        'Rate limit hit',
        'Cloud API message throughput has been reached.',
        400,
        2494055,
      );
    }
    if (!this.state.takePairSlot(phone.id, target)) {
      throw GraphApiError.whatsapp(
        131056,
        '(Business Account, Consumer Account) pair rate limit hit',
        'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
      );
    }
  }

  /** The template a send names: approved ones are sent; paused, disabled or unapproved ones fail. */
  private resolveTemplate(waba: SimWaba, raw: JsonValue | undefined): SimTemplate {
    if (!isJsonObject(raw) || typeof raw.name !== 'string' || raw.name === '') {
      throw GraphApiError.whatsapp(131008, 'Required parameter is missing', 'Parameter template.name is required.');
    }
    if (!isJsonObject(raw.language) || typeof raw.language.code !== 'string') {
      throw GraphApiError.whatsapp(
        131008,
        'Required parameter is missing',
        'Parameter template.language.code is required.',
      );
    }
    const listed = findTemplate(waba, raw.name, raw.language.code);
    if (!listed && findTemplate(waba, raw.name)) {
      // Meta keys templates by name and language: another language of the name does not stand in.
      throw templateMissing(raw.name, raw.language.code);
    }
    // A name the WABA does not list in any language is sent as an approved marketing template (most tests
    // name none): the service's own check refuses such names before Meta is called.
    const template: SimTemplate = listed ?? {
      name: raw.name,
      category: 'MARKETING',
      status: 'APPROVED',
      syncedAt: 0,
      optimizationSpec: null,
      id: '0',
      language: raw.language.code,
      previousCategory: null,
      correctCategory: null,
      rejectedReason: 'NONE',
      qualityScore: 'UNKNOWN',
      pauses: 0,
      bodyText: '',
    };
    switch (template.status) {
      case 'APPROVED':
        return template;
      case 'PAUSED':
        throw GraphApiError.whatsapp(
          132015,
          'Template is Paused',
          'Template is paused due to low quality so it cannot be sent in a template message.',
        );
      case 'DISABLED':
        throw GraphApiError.whatsapp(
          132016,
          'Template is Disabled',
          'Template has been paused too many times due to low quality and is now permanently disabled.',
        );
      case 'PENDING':
      case 'REJECTED':
      case 'ARCHIVED':
      case 'PENDING_DELETION':
      case 'DELETED':
        throw templateMissing(template.name, raw.language.code);
    }
  }
}

/** 132001 (HTTP 404, graph-api-reference §1.5): no sendable template of that name in that language. */
function templateMissing(name: string, language: string): GraphApiError {
  return GraphApiError.whatsapp(
    132001,
    'Template name does not exist in the translation',
    `template name (${name}) does not exist in ${language}`,
    404,
  );
}
