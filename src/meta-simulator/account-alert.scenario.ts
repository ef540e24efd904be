import type { JsonObject, SimEventParams, SimWaba } from './meta-simulator.types';
import type { SimulatorStateStore } from './simulator-state.store';

/** What Meta says by default for each documented `alert_type` (graph-api-2026.md §A.5). */
interface AlertDefaults {
  severity: string;
  status: string;
  /** What the alert is about: the portfolio, one of the WABA's numbers, or that number's business profile. */
  entity: 'BUSINESS' | 'PHONE_NUMBER' | 'CURRENT_STATUS_ID';
  /** Meta's sentence; `{business}` is the portfolio's name. Free text at Meta (paraphrased here). */
  description: string;
}

/**
 * The documented alert types. Denials are CRITICAL, deferrals and requests WARNING (§A.5); an approved
 * OBA is INFORMATIONAL with status NONE (derived/account_alerts.oba_approved.json; the status is a guess).
 * A lost profile picture is about the number's business profile (CURRENT_STATUS_ID), whose ID here is the
 * number's (Meta's is not documented).
 */
export const SIM_ALERT_TYPES: Readonly<Record<string, AlertDefaults>> = {
  INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED: {
    severity: 'WARNING',
    status: 'ACTIVE',
    entity: 'BUSINESS',
    description:
      "Limits can't be raised for {business} yet; keep using the platform actively for a few days within policy.",
  },
  INCREASED_CAPABILITIES_ELIGIBILITY_FAILED: {
    severity: 'CRITICAL',
    status: 'ACTIVE',
    entity: 'BUSINESS',
    description: "Based on past activity, limits can't be raised for this business; contact support.",
  },
  INCREASED_CAPABILITIES_ELIGIBILITY_NEED_MORE_INFO: {
    severity: 'WARNING',
    status: 'ACTIVE',
    entity: 'BUSINESS',
    description: 'Additional verification required: verify your identity so that limits can be raised.',
  },
  OBA_APPROVED: {
    severity: 'INFORMATIONAL',
    status: 'NONE',
    entity: 'PHONE_NUMBER',
    description: 'This number now shows the verified badge next to its name.',
  },
  OBA_REJECTED: {
    severity: 'CRITICAL',
    status: 'ACTIVE',
    entity: 'PHONE_NUMBER',
    description: 'Official Business Account status was not granted to this number.',
  },
  PROFILE_PICTURE_LOST: {
    severity: 'WARNING',
    status: 'ACTIVE',
    entity: 'CURRENT_STATUS_ID',
    description: 'The profile picture of this number was removed; reupload your profile picture.',
  },
};

/** Default `alert_type` of an ACCOUNT_ALERT event. */
export const SIM_DEFAULT_ALERT_TYPE = 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED';

/**
 * The `value` of an `account_alerts` webhook for the WABA (webhooks/account_alerts.*.json): `entity_type`
 * and `entity_id` (the portfolio or a number of the WABA; `entry.id` is the WABA), and `alert_info` with the
 * severity, status, type and description. Params override the type's defaults (`alertType`, `alertSeverity`,
 * `alertStatus`, `alertDescription`, `phoneNumberId` for number alerts: default the WABA's first number).
 * Meta keeps no readable alert state, so neither does the simulator.
 */
export function accountAlertValue(state: SimulatorStateStore, waba: SimWaba, params: SimEventParams): JsonObject {
  const alertType = params.alertType ?? SIM_DEFAULT_ALERT_TYPE;
  const defaults = SIM_ALERT_TYPES[alertType] ?? SIM_ALERT_TYPES[SIM_DEFAULT_ALERT_TYPE];
  const business = state.businesses.get(waba.businessId);
  let entityId = waba.businessId;
  if (defaults.entity !== 'BUSINESS') {
    const phoneNumberId = params.phoneNumberId ?? waba.phoneNumberIds[0];
    const phone = phoneNumberId === undefined ? undefined : state.phones.get(phoneNumberId);
    if (!phone || phone.wabaId !== waba.id) {
      throw new Error(`WABA ${waba.id} has no phone number ${params.phoneNumberId ?? ''}`.trim());
    }
    entityId = phone.id;
  }
  return {
    entity_type: defaults.entity,
    entity_id: entityId,
    alert_info: {
      alert_severity: params.alertSeverity ?? defaults.severity,
      alert_status: params.alertStatus ?? defaults.status,
      alert_type: alertType,
      alert_description:
        params.alertDescription ?? defaults.description.replace('{business}', business?.name ?? 'your business'),
    },
  };
}
