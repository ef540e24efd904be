import { SIM_NODE_TYPE } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, JsonValue, SimPhoneNumber } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphApiHandlerConfig } from './graph-api.types';
import { type FieldSelection, renderNode, selectionOf } from './graph-fields.util';
import type { HealthStatusRenderer } from './health-status.renderer';

/** Fields of a phone number read without `fields=` (§4.3). */
export const PHONE_NODE_DEFAULT = [
  'code_verification_status',
  'display_phone_number',
  'id',
  'quality_rating',
  'verified_name',
];

/** Fields of each entry of a `phone_numbers` list read without `fields=`. */
export const PHONE_LIST_DEFAULT = ['verified_name', 'display_phone_number', 'id', 'quality_rating'];

/** Renders the WhatsAppBusinessPhoneNumber node (§4.3). */
export class PhoneNumberNodeRenderer {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'webhookUrl'>,
    private readonly health: HealthStatusRenderer,
  ) {}

  /** The selected fields, or `defaults` without a selection; an unknown field is error 100. */
  render(phone: SimPhoneNumber, selection: FieldSelection[] | null, defaults: string[]): JsonObject {
    const waba = this.state.wabas.get(phone.wabaId);
    const value = (field: FieldSelection): JsonValue | undefined => {
      switch (field.name) {
        case 'id':
          return phone.id;
        case 'display_phone_number':
          return phone.displayPhoneNumber;
        case 'verified_name':
          return phone.verifiedName;
        case 'quality_rating':
          return phone.qualityRating;
        case 'code_verification_status':
          return phone.codeVerificationStatus;
        case 'status':
          return phone.status;
        case 'name_status':
          return phone.nameStatus;
        case 'new_name_status':
          return phone.newNameStatus ?? undefined;
        case 'new_display_name':
          return phone.newDisplayName ?? undefined;
        case 'platform_type':
          return phone.platformType;
        case 'account_mode':
          return phone.accountMode;
        case 'throughput':
          return { level: phone.throughputLevel };
        case 'messaging_limit_tier':
          return phone.messagingLimitTier;
        case 'whatsapp_business_manager_messaging_limit':
          return waba?.messagingLimit;
        case 'is_official_business_account':
          return phone.isOfficialBusinessAccount;
        case 'is_on_biz_app':
          return phone.isOnBizApp;
        case 'is_pin_enabled':
          return phone.pin !== null;
        case 'last_onboarded_time':
          return new Date(phone.lastOnboardedTime * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
        case 'search_visibility':
          return phone.searchVisibility;
        case 'quality_score':
          return { score: phone.qualityRating };
        case 'health_status':
          return waba ? this.health.render(waba, phone) : undefined;
        case 'webhook_configuration':
          return this.webhookConfiguration(phone);
        default:
          throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.phoneNumber);
      }
    };
    return renderNode(selection ?? selectionOf(defaults), value, phone.id, true);
  }

  /** Which callback receives the number's webhooks, most specific override first. */
  private webhookConfiguration(phone: SimPhoneNumber): JsonObject {
    const config: JsonObject = {};
    if (phone.webhookOverrideUri) {
      config.phone_number = phone.webhookOverrideUri;
    }
    const wabaOverride = this.state.subscriptions.get(phone.wabaId)?.overrideCallbackUri;
    if (wabaOverride) {
      config.whatsapp_business_account = wabaOverride;
    }
    const appUrl = this.config.webhookUrl();
    if (appUrl) {
      config.application = appUrl;
    }
    return config;
  }
}
