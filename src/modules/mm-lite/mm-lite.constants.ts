/** The three steps of the guide's "Set up MM Lite" panel, in order. */
export enum MmLiteStepKey {
  ACCEPT_TERMS = 'ACCEPT_TERMS',
  REFRESH_STATUS = 'REFRESH_STATUS',
  SWITCH_NUMBER_CHANNEL = 'SWITCH_NUMBER_CHANNEL',
}

/** Where a step stands: done, up to the user now, or waiting on something else (the detail says what). */
export enum MmLiteStepState {
  DONE = 'DONE',
  TODO = 'TODO',
  BLOCKED = 'BLOCKED',
}

/**
 * WhatsApp Manager in Meta Business Manager, where a portfolio admin accepts the Marketing Messages terms
 * (Overview → Alerts → "Accept terms"); the platform cannot sign on the customer's behalf.
 */
export const META_BUSINESS_MANAGER_MM_LITE_URL = 'https://business.facebook.com/latest/whatsapp_manager/overview';

/** Why Meta says a WABA cannot onboard, in words a user can act on. */
export const INELIGIBILITY_REASONS: Readonly<Record<string, string>> = {
  INELIGIBLE_COUNTRY_NOT_SUPPORTED: "the WABA's country is not supported by MM Lite",
  INELIGIBLE_INACTIVE_OR_RESTRICTED: 'the WABA is inactive or restricted from messaging by Meta',
  INELIGIBLE_ON_BEHALF_OF_WABA:
    'the WABA uses the deprecated On-Behalf-Of ownership model; transfer its ownership to the business first',
  INELIGIBLE_USING_WHATSAPP_BUSINESS_APP: 'a number of the WABA is used in the WhatsApp Business app',
};

/** Meta tells a template is still syncing to MM Lite for up to this long (134101). */
export const TEMPLATE_SYNC_RETRY_AFTER_SECONDS = 600;
