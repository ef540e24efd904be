import { isJsonObject } from 'src/meta-simulator/http-io.util';
import { SIM_REGISTRATION_LIMIT } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, SimPhoneNumber, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import { type GraphApiHandlerConfig, type GraphRequest, type GraphResponse, okResponse } from './graph-api.types';
import { parseFields } from './graph-fields.util';
import { asString } from './graph-params.util';
import type { GraphUsageMeter } from './graph-usage.meter';
import type { MessagesRoute } from './messages.route';
import { PHONE_NODE_DEFAULT, type PhoneNumberNodeRenderer } from './phone-number-node.renderer';

const SIX_DIGITS = /^\d{6}$/;

function registrationLimit(): GraphApiError {
  return GraphApiError.whatsapp(
    133016,
    'Account register deregister rate limit exceeded',
    'Registration or Deregistration failed because there were too many attempts for this phone number in a short period of time.',
  );
}

function invalidPin(): GraphApiError {
  return GraphApiError.invalidParameter('(#100) Invalid parameter', 'PIN must be 6 digits.');
}

/**
 * `/{phone}` and its edges: the node's fields and settings, registration (`register`, `deregister`,
 * `request_code`, `verify_code`, §2.8) and sends (`messages`, `marketing_messages`). Sends do not count
 * against the BUC budget; everything else does.
 */
export class PhoneNumberRoute {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'now'>,
    private readonly access: GraphAccessPolicy,
    private readonly usage: GraphUsageMeter,
    private readonly renderer: PhoneNumberNodeRenderer,
    private readonly messages: MessagesRoute,
  ) {}

  handle(req: GraphRequest, phone: SimPhoneNumber, edge: string | undefined): GraphResponse {
    const caller = this.access.requireUserToken(req.token);
    const waba = this.state.wabas.get(phone.wabaId);
    if (!waba || !this.access.canSeeWaba(caller, waba)) {
      throw GraphApiError.unsupportedRequest(req.method, phone.id);
    }
    const key = `${req.method} ${edge ?? ''}`;
    if (key === 'POST messages' || key === 'POST marketing_messages') {
      return okResponse(
        this.messages.send(req, waba, phone, edge === 'marketing_messages' ? 'marketing_messages' : 'messages'),
      );
    }
    const headers = this.usage.countBuc([waba.id]);
    return okResponse(this.answer(req, key, waba, phone, edge), headers);
  }

  private answer(
    req: GraphRequest,
    key: string,
    waba: SimWaba,
    phone: SimPhoneNumber,
    edge: string | undefined,
  ): JsonObject {
    switch (key) {
      case 'GET ':
        return this.renderer.render(phone, parseFields(asString(req.params.fields)), PHONE_NODE_DEFAULT);
      case 'POST ':
        return this.update(phone, req.params);
      case 'POST register':
        return this.register(waba, phone, req.params);
      case 'POST deregister':
        return this.deregister(phone);
      case 'POST request_code':
        return this.requestCode(req.params);
      case 'POST verify_code':
        return this.verifyCode(phone, req.params);
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${phone.id}/${edge}` : phone.id);
    }
  }

  /** `POST /{phone}`: one of `pin`, `webhook_configuration` or `new_display_name`, first present wins. */
  private update(phone: SimPhoneNumber, params: JsonObject): JsonObject {
    const pin = params.pin;
    if (pin !== undefined) {
      const value = asString(pin);
      if (value === undefined || !SIX_DIGITS.test(value)) {
        throw invalidPin();
      }
      phone.pin = value;
      return { success: true };
    }
    const webhook = params.webhook_configuration;
    if (isJsonObject(webhook)) {
      phone.webhookOverrideUri = asString(webhook.override_callback_uri) ?? null;
      return { success: true };
    }
    const newName = asString(params.new_display_name);
    if (newName !== undefined) {
      phone.newDisplayName = newName;
      phone.newNameStatus = 'PENDING_REVIEW';
      return { success: true };
    }
    throw GraphApiError.invalidParameter('(#100) No parameters to update');
  }

  /** The first register sets the two-step PIN; later ones must repeat it (133005). */
  private register(waba: SimWaba, phone: SimPhoneNumber, params: JsonObject): JsonObject {
    if (asString(params.messaging_product) !== 'whatsapp') {
      throw GraphApiError.invalidParameter('(#100) The parameter messaging_product is required.');
    }
    const pin = asString(params.pin);
    if (pin === undefined || !SIX_DIGITS.test(pin)) {
      throw invalidPin();
    }
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      throw GraphApiError.accountLocked();
    }
    if (!this.state.recordRegistration(phone.id, SIM_REGISTRATION_LIMIT)) {
      throw registrationLimit();
    }
    if (phone.pin !== null && phone.pin !== pin) {
      throw GraphApiError.whatsapp(
        133005,
        'Two step verification PIN Mismatch',
        'Two step verification PIN incorrect.',
      );
    }
    phone.pin = pin;
    phone.status = 'CONNECTED';
    phone.platformType = 'CLOUD_API';
    phone.lastOnboardedTime = Math.floor(this.config.now().getTime() / 1000);
    return { success: true };
  }

  private deregister(phone: SimPhoneNumber): JsonObject {
    if (!this.state.recordRegistration(phone.id, SIM_REGISTRATION_LIMIT)) {
      throw registrationLimit();
    }
    phone.status = 'DISCONNECTED';
    phone.platformType = 'NOT_APPLICABLE';
    return { success: true };
  }

  private requestCode(params: JsonObject): JsonObject {
    const method = asString(params.code_method);
    if (method !== 'SMS' && method !== 'VOICE') {
      throw GraphApiError.invalidParameter('(#100) Param code_method must be one of {SMS, VOICE}');
    }
    if (!asString(params.language)) {
      throw GraphApiError.invalidParameter('(#100) The parameter language is required');
    }
    return { success: true };
  }

  private verifyCode(phone: SimPhoneNumber, params: JsonObject): JsonObject {
    const code = asString(params.code);
    if (!code || !SIX_DIGITS.test(code)) {
      throw GraphApiError.whatsapp(
        136025,
        'Verify code error',
        'Code couldn\u2019t be verified, you have either entered the wrong code or have waited too long to enter it.',
      );
    }
    phone.codeVerificationStatus = 'VERIFIED';
    return { success: true };
  }
}
