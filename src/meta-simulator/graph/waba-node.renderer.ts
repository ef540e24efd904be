import { SIM_NODE_TYPE } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, JsonValue, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphRequest } from './graph-api.types';
import { type FieldSelection, renderNode, selectionOf } from './graph-fields.util';
import type { HealthStatusRenderer } from './health-status.renderer';
import type { WabaMessageTemplatesEdge } from './waba-message-templates.edge';
import type { WabaPhoneNumbersEdge } from './waba-phone-numbers.edge';
import type { WabaSubscribedAppsEdge } from './waba-subscribed-apps.edge';

/** Fields of a WABA read without `fields=`. */
export const WABA_NODE_DEFAULT = ['id', 'name', 'timezone_id', 'message_template_namespace'];

/** Fields of each entry of a business's WABA list read without `fields=`. */
export const WABA_LIST_DEFAULT = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace'];

/** `marketing_messages_lite_api_status`, derived from the onboarding status. */
function mmLiteApiStatus(status: string): string {
  if (status === 'ONBOARDED') {
    return 'ONBOARDED';
  }
  return status.startsWith('INELIGIBLE') ? 'INELIGIBLE' : 'ELIGIBLE';
}

/** Renders the WhatsAppBusinessAccount node (§3.1), its edges expanded inside `fields=` included. */
export class WabaNodeRenderer {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly health: HealthStatusRenderer,
    private readonly phoneNumbers: WabaPhoneNumbersEdge,
    private readonly subscribedApps: WabaSubscribedAppsEdge,
    private readonly messageTemplates: WabaMessageTemplatesEdge,
  ) {}

  /** The selected fields, or `defaults` without a selection; an unknown field is error 100. */
  render(waba: SimWaba, selection: FieldSelection[] | null, req: GraphRequest, defaults: string[]): JsonObject {
    const business = this.state.businesses.get(waba.businessId);
    const value = (field: FieldSelection): JsonValue | undefined => {
      switch (field.name) {
        case 'id':
          return waba.id;
        case 'name':
          return waba.name;
        case 'currency':
          return waba.currency;
        case 'timezone_id':
          return waba.timezoneId;
        case 'message_template_namespace':
          return waba.messageTemplateNamespace;
        case 'country':
          return waba.country;
        case 'creation_time':
          return waba.creationTime;
        case 'status':
          return waba.status;
        case 'account_review_status':
          return waba.accountReviewStatus;
        case 'business_verification_status':
          return waba.businessVerificationStatus;
        case 'health_status':
          return this.health.render(waba, null);
        case 'ownership_type':
          return waba.ownershipType;
        case 'on_behalf_of_business_info':
          return waba.ownershipType === 'ON_BEHALF_OF' && business
            ? { id: business.id, name: business.name, status: 'APPROVED', type: 'AGENCY' }
            : undefined;
        case 'owner_business_info': {
          if (!business) {
            return undefined;
          }
          const info: JsonObject = { name: business.name, id: business.id };
          if (business.termsStatus) {
            info.marketing_messages_onboarding_status = { ...business.termsStatus };
          }
          return info;
        }
        case 'owner_business':
          return business ? { id: business.id, name: business.name } : undefined;
        case 'primary_business_location':
          return waba.primaryBusinessLocation ?? undefined;
        case 'primary_funding_id':
          return waba.primaryFundingId ?? undefined;
        case 'purchase_order_number':
          return waba.purchaseOrderNumber ?? undefined;
        case 'is_enabled_for_insights':
          return waba.isEnabledForInsights;
        case 'is_shared_with_partners':
          return waba.isSharedWithPartners;
        case 'template_auto_archival_enabled':
          return waba.templateAutoArchivalEnabled;
        case 'disable_marketing_messages_on_cloud_api':
          return waba.disableMarketingMessagesOnCloudApi;
        case 'auth_international_rate_eligibility':
          return waba.authInternationalRateEligibility ?? undefined;
        case 'whatsapp_business_manager_messaging_limit':
          return waba.messagingLimit;
        case 'marketing_messages_onboarding_status':
          return waba.marketingMessagesOnboardingStatus;
        case 'marketing_messages_lite_api_status':
          return mmLiteApiStatus(waba.marketingMessagesOnboardingStatus);
        case 'phone_numbers':
          return this.phoneNumbers.list(waba, req, field.children, field.limit, true);
        case 'subscribed_apps':
          return this.subscribedApps.list(waba);
        case 'message_templates':
          return this.messageTemplates.list(waba, req, field.children, field.limit, true);
        default:
          throw GraphApiError.nonexistingField(field.name, SIM_NODE_TYPE.waba);
      }
    };
    return renderNode(selection ?? selectionOf(defaults), value, waba.id, true);
  }
}
