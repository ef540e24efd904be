import { isObject } from './graph-api.payloads';
import { type GraphApiTransport, graphId } from './graph-api.transport';
import type { GraphSendMessageResponse, GraphTemplateSendRequest } from './graph-api.types';
import { MetaGatewayErrorCode } from './meta-gateway.exception';
import type { MessageRecipient, SentMessage, TemplateMessage } from './meta-gateway.types';

/** The Graph edges that deliver a template message: Cloud API's and MM Lite's. */
export type SendEdge = 'messages' | 'marketing_messages';

/**
 * `POST /{phone-number-id}/{edge}` with `{messaging_product:"whatsapp", recipient_type:"individual", to |
 * recipient, type:"template", template:{name, language:{code}, components?}}` → `messages[0].id`. A phone
 * number goes in `to`, a BSUID in `recipient` (graph-api-2026 §A.6: Meta keeps `recipient_type: "individual"`
 * for both); never both, since Meta would let `to` win. One attempt,
 * whatever happens: the transport never repeats a call that delivers, and classifies a failure after which
 * Meta may have sent the message as OUTCOME_UNKNOWN. So is a 2xx without a message id: Meta answered, but
 * whether it took the message cannot be read from it. `callbackData` (Cloud API `/messages` only) goes out as
 * `biz_opaque_callback_data`: Meta's OpenAPI closes MM Lite's request body (additionalProperties: false) and
 * the reference leaves the field UNCONFIRMED there, so `/marketing_messages` never gets it.
 */
export async function sendTemplate(
  transport: GraphApiTransport,
  edge: SendEdge,
  phoneNumberId: string,
  recipient: MessageRecipient,
  template: TemplateMessage,
  token: string,
  callbackData?: string,
): Promise<SentMessage> {
  const data: GraphTemplateSendRequest = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...(recipient.bsuid === undefined ? { to: recipient.phone } : { recipient: recipient.bsuid }),
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(template.components === undefined ? {} : { components: template.components }),
    },
    ...(callbackData === undefined || edge !== 'messages' ? {} : { biz_opaque_callback_data: callbackData }),
  };
  const body = await transport.call<GraphSendMessageResponse>({
    method: 'POST',
    url: `/${graphId(phoneNumberId)}/${edge}`,
    data,
    token,
    retry: false,
    delivers: true,
    businessObjectId: phoneNumberId,
  });
  const messageId = Array.isArray(body.messages) && isObject(body.messages[0]) ? body.messages[0].id : undefined;
  const readable = typeof messageId === 'string' && messageId !== '' ? { messageId } : null;
  return transport.readable(readable, `POST /${phoneNumberId}/${edge}`, MetaGatewayErrorCode.OUTCOME_UNKNOWN);
}
