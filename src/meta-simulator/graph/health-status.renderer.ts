import type { JsonObject, SimPhoneNumber, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import type { GraphApiHandlerConfig } from './graph-api.types';

const NAME_PENDING_INFO =
  'Your display name has not been approved yet. Your message limit will increase after the display name is approved.';
const APP_NOT_SUBSCRIBED_INFO =
  'Your app is not subscribed to the message webhook for this WhatsApp Business Account. Subscribe your app to receive message webhooks.';

/** The `health_status` field of WABAs and phone numbers (§3.4). */
export class HealthStatusRenderer {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'appId' | 'now'>,
  ) {}

  /** `health_status` of the WABA, or of the number when given, derived from the lifecycle state unless overridden. */
  render(waba: SimWaba, phone: SimPhoneNumber | null): JsonObject {
    const override = phone ? phone.healthStatusOverride : waba.healthStatusOverride;
    if (override) {
      return override;
    }
    const entities: JsonObject[] = [];
    if (phone) {
      entities.push(this.phoneEntity(phone));
    }
    entities.push(this.wabaEntity(waba));
    entities.push({ entity_type: 'BUSINESS', id: waba.businessId, can_send_message: 'AVAILABLE' });
    entities.push(this.appEntity(waba));
    const levels = entities.map((entity) => entity.can_send_message);
    const overall = levels.includes('BLOCKED') ? 'BLOCKED' : levels.includes('LIMITED') ? 'LIMITED' : 'AVAILABLE';
    return { can_send_message: overall, entities };
  }

  private phoneEntity(phone: SimPhoneNumber): JsonObject {
    const entity: JsonObject = {
      entity_type: 'PHONE_NUMBER',
      id: phone.id,
      can_send_message: 'AVAILABLE',
      can_receive_call_sip: 'AVAILABLE',
    };
    if (['BANNED', 'DELETED', 'DISCONNECTED'].includes(phone.status)) {
      entity.can_send_message = 'BLOCKED';
      entity.errors = [
        {
          error_code: 131045,
          error_description: `The phone number is ${phone.status.toLowerCase()}.`,
          possible_solution: 'Register the phone number on Cloud API.',
        },
      ];
    } else if (!['APPROVED', 'AVAILABLE_WITHOUT_REVIEW'].includes(phone.nameStatus)) {
      entity.can_send_message = 'LIMITED';
      entity.additional_info = [NAME_PENDING_INFO];
    }
    return entity;
  }

  private wabaEntity(waba: SimWaba): JsonObject {
    const entity: JsonObject = { entity_type: 'WABA', id: waba.id, can_send_message: 'AVAILABLE' };
    const nowSeconds = Math.floor(this.config.now().getTime() / 1000);
    if (waba.state === 'DISABLED' || waba.state === 'DELETED') {
      // Error code and texts of a disabled WABA are UNCONFIRMED (derived/waba.get.disabled.TEMPLATE.json).
      entity.can_send_message = 'BLOCKED';
      entity.errors = [
        {
          error_code: 368,
          error_description: 'The WhatsApp Business Account has been disabled for violating a platform policy.',
          possible_solution: 'Request a review of the decision in WhatsApp Manager.',
        },
      ];
    } else if (waba.state === 'RESTRICTED' && waba.restrictions.some((r) => r.expiration > nowSeconds)) {
      entity.can_send_message = 'LIMITED';
      entity.additional_info = waba.restrictions.map(
        (r) => `${r.restrictionType} until ${new Date(r.expiration * 1000).toISOString()}.`,
      );
    }
    return entity;
  }

  private appEntity(waba: SimWaba): JsonObject {
    const entity: JsonObject = {
      entity_type: 'APP',
      id: this.config.appId,
      can_send_message: 'AVAILABLE',
      can_receive_call_sip: 'AVAILABLE',
    };
    if (!this.state.subscriptions.has(waba.id)) {
      entity.can_send_message = 'LIMITED';
      entity.additional_info = [APP_NOT_SUBSCRIBED_INFO];
    }
    return entity;
  }
}
