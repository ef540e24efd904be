import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { wabaDisabledSentence } from 'src/modules/wabas/wabas.exception';
import {
  META_MM_LITE_PENDING_INTERNAL_SETUP,
  META_MM_LITE_PENDING_PAYMENT_METHOD,
  META_MM_LITE_PENDING_PREFIX,
  META_TERMS_REQUEST_SENT,
  META_TERMS_SIGNED,
  MmLiteStatus,
  WabaConnection,
  WabaStatus,
} from 'src/modules/wabas/wabas.constants';

import type { MmLitePanelResponseDto, MmLiteStepDto } from './dto/mm-lite-panel-response.dto';
import { marketingRegionNotice } from './marketing-regions';
import {
  INELIGIBILITY_REASONS,
  META_BUSINESS_MANAGER_MM_LITE_URL,
  MmLiteStepKey,
  MmLiteStepState,
} from './mm-lite.constants';

/** What the panel reads of a WABA. */
export type MmLitePanelWaba = Pick<
  WabaView,
  | 'wabaId'
  | 'status'
  | 'statusReason'
  | 'connection'
  | 'mmLiteStatus'
  | 'mmLiteMetaStatus'
  | 'mmLiteTermsStatus'
  | 'mmLiteSetupStartedAt'
  | 'mmLiteLastCheckedAt'
  | 'ownerBusinessId'
>;

/** What the panel reads of a number. */
export interface MmLitePanelNumber {
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  sendingChannel: SendingChannel;
}

/**
 * Builds the "Set up MM Lite" panel (product-spec §2.5) from the stored WABA and its numbers: the three
 * steps of the guide with their state and the reason, derived only from what Meta last said, so the panel
 * agrees with the list column (which wabas/waba-status.ts derives from the same fields). It also says how
 * many APPROVED MARKETING templates the WABA has: what MM Lite can send at all.
 */
export function buildMmLitePanel(
  waba: MmLitePanelWaba,
  numbers: MmLitePanelNumber[],
  approvedMarketingTemplates = 0,
): MmLitePanelResponseDto {
  return {
    wabaId: waba.wabaId,
    status: waba.mmLiteStatus,
    metaStatus: waba.mmLiteMetaStatus,
    termsStatus: waba.mmLiteTermsStatus,
    setupStartedAt: waba.mmLiteSetupStartedAt,
    lastCheckedAt: waba.mmLiteLastCheckedAt,
    steps: [acceptTermsStep(waba), refreshStatusStep(waba), switchChannelStep(waba, numbers)],
    numbers: numbers.map((number) => ({
      phoneNumberId: number.phoneNumberId,
      displayPhoneNumber: number.displayPhoneNumber,
      sendingChannel: number.sendingChannel,
    })),
    regionNotice: marketingRegionNotice(),
    approvedMarketingTemplates,
  };
}

/** The Business Manager page where an admin of the WABA's portfolio accepts the terms. */
export function termsActionUrl(waba: Pick<WabaView, 'wabaId' | 'ownerBusinessId'>): string {
  const url = new URL(META_BUSINESS_MANAGER_MM_LITE_URL);
  if (waba.ownerBusinessId) {
    url.searchParams.set('business_id', waba.ownerBusinessId);
  }
  url.searchParams.set('asset_id', waba.wabaId);
  return url.toString();
}

function isDisabled(waba: MmLitePanelWaba): boolean {
  return waba.status === WabaStatus.DISABLED;
}

function disabledText(waba: MmLitePanelWaba): string {
  return wabaDisabledSentence(waba.wabaId, waba.statusReason);
}

function ineligibility(metaStatus: string | null): string | null {
  if (!metaStatus?.startsWith('INELIGIBLE_')) {
    return null;
  }
  return INELIGIBILITY_REASONS[metaStatus] ?? 'Meta reports the WABA as not eligible for MM Lite';
}

function acceptTermsStep(waba: MmLitePanelWaba): MmLiteStepDto {
  const actionUrl = termsActionUrl(waba);
  const step = (state: MmLiteStepState, detail: string): MmLiteStepDto => ({
    key: MmLiteStepKey.ACCEPT_TERMS,
    state,
    detail,
    actionUrl,
  });
  const portfolio = waba.ownerBusinessId
    ? `business portfolio ${waba.ownerBusinessId}`
    : "the WABA's business portfolio";
  if (waba.mmLiteStatus === MmLiteStatus.ONBOARDED) {
    return step(MmLiteStepState.DONE, 'The MM Lite terms are accepted and Meta reports the WABA as ONBOARDED.');
  }
  // Meta's PENDING_* values exist only once the terms were accepted (§5.2).
  if (
    waba.mmLiteTermsStatus === META_TERMS_SIGNED ||
    waba.mmLiteMetaStatus?.startsWith(META_MM_LITE_PENDING_PREFIX) === true
  ) {
    return step(MmLiteStepState.DONE, `An admin of ${portfolio} accepted the MM Lite terms in Meta Business Manager.`);
  }
  if (isDisabled(waba)) {
    return step(
      MmLiteStepState.BLOCKED,
      `${disabledText(waba)}: Meta does not onboard a disabled account to MM Lite. Resolve the account's status in WhatsApp Manager first.`,
    );
  }
  const ineligible = ineligibility(waba.mmLiteMetaStatus);
  if (ineligible) {
    return step(
      MmLiteStepState.BLOCKED,
      `Meta reports the WABA as not eligible (${waba.mmLiteMetaStatus}): ${ineligible}. The terms cannot be accepted until that is resolved at Meta.`,
    );
  }
  if (waba.mmLiteTermsStatus === META_TERMS_REQUEST_SENT) {
    return step(
      MmLiteStepState.TODO,
      `Meta sent the MM Lite terms to the admins of ${portfolio}; one of them accepts them in Meta Business Manager (WhatsApp Manager → Overview → Alerts → Accept terms).`,
    );
  }
  return step(
    MmLiteStepState.TODO,
    `An admin of ${portfolio} accepts the MM Lite marketing-messages terms in Meta Business Manager (WhatsApp Manager → Overview → Alerts → Accept terms). The platform cannot sign on your behalf.`,
  );
}

function refreshStatusStep(waba: MmLitePanelWaba): MmLiteStepDto {
  const step = (state: MmLiteStepState, detail: string): MmLiteStepDto => ({
    key: MmLiteStepKey.REFRESH_STATUS,
    state,
    detail,
  });
  const checked = waba.mmLiteLastCheckedAt
    ? `last checked ${waba.mmLiteLastCheckedAt.toISOString()}`
    : 'not checked with Meta yet';
  const metaSays = waba.mmLiteMetaStatus ? `Meta reports ${waba.mmLiteMetaStatus}` : 'Meta reported no status yet';
  if (waba.mmLiteStatus === MmLiteStatus.ONBOARDED) {
    return step(MmLiteStepState.DONE, `Meta reports ONBOARDED (${checked}).`);
  }
  if (waba.connection === WabaConnection.REAUTH_REQUIRED) {
    return step(
      MmLiteStepState.BLOCKED,
      'Meta rejected the stored access token, so the status cannot be read: connect a number of this WABA again through Embedded Signup, then refresh.',
    );
  }
  if (waba.mmLiteMetaStatus === META_MM_LITE_PENDING_PAYMENT_METHOD) {
    return step(
      MmLiteStepState.BLOCKED,
      `${metaSays}: Meta waits for a valid payment method. Add one to the WABA in Meta Business Manager, then refresh (${checked}).`,
    );
  }
  if (waba.mmLiteMetaStatus === META_MM_LITE_PENDING_INTERNAL_SETUP) {
    return step(
      MmLiteStepState.TODO,
      `${metaSays}: Meta is still setting up MM Lite for this WABA, which can take some time. Refresh again later (${checked}).`,
    );
  }
  return step(
    MmLiteStepState.TODO,
    `${metaSays} (${checked}). Once the terms are accepted, refresh to pull the latest onboarding status from Meta.`,
  );
}

function switchChannelStep(waba: MmLitePanelWaba, numbers: MmLitePanelNumber[]): MmLiteStepDto {
  const step = (state: MmLiteStepState, detail: string): MmLiteStepDto => ({
    key: MmLiteStepKey.SWITCH_NUMBER_CHANNEL,
    state,
    detail,
  });
  if (isDisabled(waba)) {
    return step(
      MmLiteStepState.BLOCKED,
      `${disabledText(waba)}: its numbers cannot switch to MM Lite. Switching back to Cloud API stays possible.`,
    );
  }
  if (waba.mmLiteStatus !== MmLiteStatus.ONBOARDED) {
    return step(
      MmLiteStepState.BLOCKED,
      `Available once the MM Lite status is ONBOARDED (now ${waba.mmLiteStatus ?? 'not started'}).`,
    );
  }
  const onMmLite = numbers.filter((number) => number.sendingChannel === SendingChannel.MM_LITE);
  if (onMmLite.length > 0) {
    return step(
      MmLiteStepState.DONE,
      `${onMmLite.length} of ${numbers.length} numbers send marketing templates through MM Lite: ${onMmLite
        .map((number) => number.displayPhoneNumber ?? number.phoneNumberId)
        .join(', ')}.`,
    );
  }
  return step(
    MmLiteStepState.TODO,
    'Switch the sending channel of a number you send marketing from to MM_LITE (PATCH /api/v1/phone-numbers/{phoneNumberId} with {"sendingChannel":"MM_LITE"}).',
  );
}
