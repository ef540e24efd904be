import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import { MmLiteStatus, WabaConnection, WabaStatus } from 'src/modules/wabas/wabas.constants';

import { buildMmLitePanel, type MmLitePanelNumber, type MmLitePanelWaba } from './mm-lite-panel';

const CHECKED = new Date('2026-01-15T12:00:00Z');

function waba(overrides: Partial<MmLitePanelWaba> = {}): MmLitePanelWaba {
  return {
    wabaId: '102290129340398',
    status: WabaStatus.ACTIVE,
    statusReason: null,
    connection: WabaConnection.CONNECTED,
    mmLiteStatus: null,
    mmLiteMetaStatus: 'ELIGIBLE',
    mmLiteTermsStatus: 'NOT_STARTED',
    mmLiteSetupStartedAt: null,
    mmLiteLastCheckedAt: CHECKED,
    ownerBusinessId: '506914307656634',
    ...overrides,
  };
}

const NUMBERS: MmLitePanelNumber[] = [
  { phoneNumberId: '106540352242922', displayPhoneNumber: '+1 631-555-5555', sendingChannel: SendingChannel.CLOUD_API },
];

function states(input: MmLitePanelWaba, numbers = NUMBERS): string[] {
  return buildMmLitePanel(input, numbers).steps.map((step) => `${step.key}:${step.state}`);
}

describe(buildMmLitePanel.name, () => {
  it('should show a fresh WABA: accept the terms, refresh, switch blocked', () => {
    const panel = buildMmLitePanel(waba(), NUMBERS);

    expect(panel).toMatchObject({
      wabaId: '102290129340398',
      status: null,
      metaStatus: 'ELIGIBLE',
      termsStatus: 'NOT_STARTED',
      setupStartedAt: null,
      lastCheckedAt: CHECKED,
      numbers: NUMBERS,
    });
    expect(states(waba())).toEqual(['ACCEPT_TERMS:TODO', 'REFRESH_STATUS:TODO', 'SWITCH_NUMBER_CHANNEL:BLOCKED']);
    expect(panel.steps[0]?.actionUrl).toBe(
      'https://business.facebook.com/latest/whatsapp_manager/overview?business_id=506914307656634&asset_id=102290129340398',
    );
    expect(panel.steps[1]?.detail).toContain(CHECKED.toISOString());
    expect(panel.regionNotice).toContain('United States (+1)');
  });

  it('should say Meta sent the terms request when the portfolio status is REQUEST_SENT', () => {
    const [terms] = buildMmLitePanel(waba({ mmLiteTermsStatus: 'REQUEST_SENT' }), NUMBERS).steps;
    expect(terms).toMatchObject({ state: 'TODO', detail: expect.stringContaining('Meta sent the MM Lite terms') });
  });

  it.each([
    ['INELIGIBLE_COUNTRY_NOT_SUPPORTED', 'country is not supported'],
    ['INELIGIBLE_ON_BEHALF_OF_WABA', 'On-Behalf-Of'],
    ['INELIGIBLE_INACTIVE_OR_RESTRICTED', 'inactive or restricted'],
    ['INELIGIBLE_USING_WHATSAPP_BUSINESS_APP', 'WhatsApp Business app'],
    ['INELIGIBLE_SOMETHING_NEW', 'not eligible'],
  ])('should block the terms step for %s and say why', (metaStatus, why) => {
    const [terms] = buildMmLitePanel(waba({ mmLiteMetaStatus: metaStatus }), NUMBERS).steps;
    expect(terms).toMatchObject({ state: 'BLOCKED', detail: expect.stringContaining(why) });
    expect(terms?.detail).toContain(metaStatus);
  });

  it('should block the terms and switch steps of a disabled WABA, naming the reason', () => {
    const panel = buildMmLitePanel(waba({ status: WabaStatus.DISABLED, statusReason: 'BANNED' }), NUMBERS);
    expect(panel.steps.map((step) => step.state)).toEqual(['BLOCKED', 'TODO', 'BLOCKED']);
    expect(panel.steps[0]?.detail).toContain('is disabled (Meta banned it)');
    expect(panel.steps[2]?.detail).toContain('Cloud API stays possible');
  });

  it('should show the terms as accepted while Meta sets up, with the reason on the refresh step', () => {
    const input = waba({
      mmLiteStatus: MmLiteStatus.NOT_ONBOARDED,
      mmLiteMetaStatus: 'PENDING_INTERNAL_SETUP',
      mmLiteTermsStatus: 'TERM_OF_SERVICE_SIGNED',
    });
    const panel = buildMmLitePanel(input, NUMBERS);
    expect(states(input)).toEqual(['ACCEPT_TERMS:DONE', 'REFRESH_STATUS:TODO', 'SWITCH_NUMBER_CHANNEL:BLOCKED']);
    expect(panel.steps[1]?.detail).toContain('PENDING_INTERNAL_SETUP');
    expect(panel.steps[2]?.detail).toContain('now NOT_ONBOARDED');
  });

  it('should block the refresh step on a missing payment method', () => {
    const input = waba({ mmLiteStatus: MmLiteStatus.NOT_ONBOARDED, mmLiteMetaStatus: 'PENDING_VALID_PAYMENT_METHOD' });
    expect(states(input)).toEqual(['ACCEPT_TERMS:DONE', 'REFRESH_STATUS:BLOCKED', 'SWITCH_NUMBER_CHANNEL:BLOCKED']);
    expect(buildMmLitePanel(input, NUMBERS).steps[1]?.detail).toContain('valid payment method');
  });

  it('should block the refresh step while the token needs re-authorization', () => {
    const input = waba({ connection: WabaConnection.REAUTH_REQUIRED, mmLiteLastCheckedAt: null });
    const [, refresh] = buildMmLitePanel(input, NUMBERS).steps;
    expect(refresh).toMatchObject({ state: 'BLOCKED', detail: expect.stringContaining('Embedded Signup') });
  });

  it('should offer the switch once onboarded, and mark it done when a number sends through MM Lite', () => {
    const onboarded = waba({ mmLiteStatus: MmLiteStatus.ONBOARDED, mmLiteMetaStatus: 'ONBOARDED' });
    expect(states(onboarded)).toEqual(['ACCEPT_TERMS:DONE', 'REFRESH_STATUS:DONE', 'SWITCH_NUMBER_CHANNEL:TODO']);

    const switched = [
      ...NUMBERS,
      {
        phoneNumberId: '106540352242999',
        displayPhoneNumber: '+44 7700 900123',
        sendingChannel: SendingChannel.MM_LITE,
      },
    ];
    const [, , step] = buildMmLitePanel(onboarded, switched).steps;
    expect(step).toMatchObject({ state: 'DONE', detail: expect.stringContaining('1 of 2 numbers') });
    expect(step?.detail).toContain('+44 7700 900123');
  });

  it('should leave the portfolio out of the link when it is unknown', () => {
    const [terms] = buildMmLitePanel(waba({ ownerBusinessId: null }), NUMBERS).steps;
    expect(terms?.actionUrl).toBe(
      'https://business.facebook.com/latest/whatsapp_manager/overview?asset_id=102290129340398',
    );
    expect(terms?.detail).toContain("the WABA's business portfolio");
  });
});
