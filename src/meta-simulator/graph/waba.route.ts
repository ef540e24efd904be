import type { JsonObject, SimWaba } from 'src/meta-simulator/meta-simulator.types';

import type { GraphAccessPolicy } from './graph-access.policy';
import { GraphApiError } from './graph-api.error';
import { type GraphRequest, type GraphResponse, okResponse } from './graph-api.types';
import { parseFields } from './graph-fields.util';
import { asBoolean, asString } from './graph-params.util';
import type { GraphUsageMeter } from './graph-usage.meter';
import { WABA_NODE_DEFAULT, type WabaNodeRenderer } from './waba-node.renderer';
import type { WabaMessageTemplatesEdge } from './waba-message-templates.edge';
import type { WabaPhoneNumbersEdge } from './waba-phone-numbers.edge';
import type { WabaSubscribedAppsEdge } from './waba-subscribed-apps.edge';

/** Writable WABA settings (`POST /{waba}`) and the fields they set. */
const WABA_BOOLEAN_SETTINGS = {
  disable_marketing_messages_on_cloud_api: 'disableMarketingMessagesOnCloudApi',
  is_enabled_for_insights: 'isEnabledForInsights',
  template_auto_archival_enabled: 'templateAutoArchivalEnabled',
} as const;

/** `/{waba}` and its edges `phone_numbers`, `message_templates` and `subscribed_apps`; every call counts against the WABA's BUC budget. */
export class WabaRoute {
  constructor(
    private readonly access: GraphAccessPolicy,
    private readonly usage: GraphUsageMeter,
    private readonly renderer: WabaNodeRenderer,
    private readonly phoneNumbers: WabaPhoneNumbersEdge,
    private readonly subscribedApps: WabaSubscribedAppsEdge,
    private readonly messageTemplates: WabaMessageTemplatesEdge,
  ) {}

  handle(req: GraphRequest, waba: SimWaba, edge: string | undefined): GraphResponse {
    const caller = this.access.requireUserToken(req.token);
    if (!this.access.canSeeWaba(caller, waba)) {
      throw GraphApiError.unsupportedRequest(req.method, waba.id);
    }
    const headers = this.usage.countBuc([waba.id]);
    return okResponse(this.answer(req, waba, edge), headers);
  }

  private answer(req: GraphRequest, waba: SimWaba, edge: string | undefined): JsonObject {
    switch (`${req.method} ${edge ?? ''}`) {
      case 'GET ':
        return this.renderer.render(waba, parseFields(asString(req.params.fields)), req, WABA_NODE_DEFAULT);
      case 'POST ':
        return this.update(waba, req.params);
      case 'GET phone_numbers':
        return this.phoneNumbers.list(waba, req, parseFields(asString(req.params.fields)), undefined);
      case 'POST phone_numbers':
        return this.phoneNumbers.add(waba, req.params);
      case 'GET message_templates':
        return this.messageTemplates.list(waba, req, parseFields(asString(req.params.fields)), undefined);
      case 'GET subscribed_apps':
        return this.subscribedApps.list(waba);
      case 'POST subscribed_apps':
        return this.subscribedApps.subscribe(waba, req.params);
      case 'DELETE subscribed_apps':
        return this.subscribedApps.unsubscribe(waba);
      default:
        throw GraphApiError.unsupportedRequest(req.method, edge ? `${waba.id}/${edge}` : waba.id);
    }
  }

  /** `POST /{waba}`: the boolean settings; `degrees_of_freedom_spec` is accepted and ignored. */
  private update(waba: SimWaba, params: JsonObject): JsonObject {
    let changed = false;
    for (const [key, value] of Object.entries(params)) {
      if (key === 'access_token') {
        continue;
      }
      if (key in WABA_BOOLEAN_SETTINGS) {
        const parsed = asBoolean(value);
        if (parsed === undefined) {
          throw GraphApiError.invalidParameter(`(#100) Param ${key} must be a boolean`);
        }
        waba[WABA_BOOLEAN_SETTINGS[key as keyof typeof WABA_BOOLEAN_SETTINGS]] = parsed;
        changed = true;
      } else if (key === 'degrees_of_freedom_spec') {
        changed = true;
      } else {
        throw GraphApiError.invalidParameter(`(#100) Param ${key} is not a valid parameter for this operation`);
      }
    }
    if (!changed) {
      throw GraphApiError.invalidParameter('(#100) No parameters to update');
    }
    return { id: waba.id };
  }
}
