import {
  SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS,
  SIM_DEFAULT_CODE_TTL_SECONDS,
  SIM_DEMO_IDS,
} from './meta-simulator.constants';
import type {
  CreateSignupSessionInput,
  MetaSimulatorOptions,
  SignupSession,
  SimTemplate,
  SimWaba,
} from './meta-simulator.types';
import type { SimulatorStateStore } from './simulator-state.store';

/**
 * The templates a seeded WABA starts with (Meta's documentation samples, graph-api-2026.md fixtures): one
 * approved marketing template, one approved utility template, one utility template Meta will recategorise.
 */
const SEEDED_TEMPLATES: Array<Partial<SimTemplate> & { name: string }> = [
  {
    name: 'coupon_expiration_reminder_number_vars',
    category: 'MARKETING',
    language: 'en',
    bodyText: 'Your code {{1}} expires in {{2}} days.',
  },
  {
    name: 'reservation_confirmation',
    category: 'UTILITY',
    language: 'en_US',
    bodyText: 'Table for {{1}} on {{2}} is confirmed.',
  },
  { name: 'welcome_template', category: 'UTILITY', language: 'en_US', bodyText: 'Welcome to Lucky Shrub, {{1}}!' },
];

/** Template IDs of the demo WABA's seeded templates: the fixtures' own. */
const DEMO_TEMPLATE_IDS: Record<string, string> = {
  coupon_expiration_reminder_number_vars: '1304694804498707',
  reservation_confirmation: '1387372356726668',
  welcome_template: '278077987957091',
};

/** The demo objects seeded by `MetaSimulator.seedDemo`. */
export interface SimDemoSeed {
  businessId: string;
  wabaId: string;
  phoneNumberId: string;
  token: string;
}

/**
 * Objects the simulator creates on its own: the partner's business and system-user token every state
 * starts with, Meta's documentation samples, and what an Embedded Signup flow leaves behind.
 */
export class SimulatorSeeder {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly options: Pick<MetaSimulatorOptions, 'partnerBusinessId' | 'systemUserToken' | 'codeTtlSeconds'>,
  ) {}

  /** The partner's business and the configured system-user token, unless the state has them already. */
  ensurePartner(): void {
    const partnerBusinessId = this.options.partnerBusinessId ?? SIM_DEMO_IDS.partnerBusinessId;
    if (!this.state.businesses.has(partnerBusinessId)) {
      this.state.createBusiness({ id: partnerBusinessId, name: 'Solution Partner (simulated)' });
    }
    if (this.options.systemUserToken && !this.state.findToken(this.options.systemUserToken)) {
      this.state.registerToken(this.options.systemUserToken, 'system_user', []);
    }
  }

  /**
   * What Embedded Signup leaves behind: a business (new or given), a WABA (new, or `existingWabaId`),
   * a new unregistered number and a single-use code (TTL `codeTtlSeconds`) exchanging to a business
   * token granted that WABA.
   */
  createSignupSession(input: CreateSignupSessionInput): SignupSession {
    let waba: SimWaba;
    if (input.existingWabaId) {
      waba = this.state.requireWaba(input.existingWabaId);
    } else {
      let businessId = input.businessId;
      if (!businessId || !this.state.businesses.has(businessId)) {
        businessId = this.state.createBusiness({ id: businessId, name: input.businessName }).id;
      }
      const business = this.state.businesses.get(businessId);
      waba = this.state.createWaba({
        businessId,
        name: input.wabaName ?? `${business?.name ?? 'Business'} WhatsApp`,
        templates: [...SEEDED_TEMPLATES, ...(input.templates ?? [])],
      });
    }
    const phone = this.state.createPhoneNumber({
      wabaId: waba.id,
      displayPhoneNumber: input.displayPhoneNumber,
      verifiedName: waba.name,
      status: 'PENDING',
      platformType: 'NOT_APPLICABLE',
      nameStatus: 'PENDING_REVIEW',
    });
    const token = this.state.issueToken({
      wabaIds: [waba.id],
      businessId: waba.businessId,
      expiresInSeconds:
        input.tokenExpiresInSeconds === undefined
          ? SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS
          : input.tokenExpiresInSeconds,
    });
    const code = this.state.createCode(token.token, this.options.codeTtlSeconds ?? SIM_DEFAULT_CODE_TTL_SECONDS);
    return { code, wabaId: waba.id, phoneNumberId: phone.id, businessId: waba.businessId };
  }

  /**
   * Meta's documentation sample objects (§0): business 506914307656634, WABA 102290129340398 "Lucky Shrub"
   * (subscribed) and registered number 106540352242922, plus a new non-expiring business token.
   */
  seedDemo(): SimDemoSeed {
    const businessId = SIM_DEMO_IDS.businessId;
    if (!this.state.businesses.has(businessId)) {
      this.state.createBusiness({ id: businessId, name: 'Lucky Shrub' });
    }
    if (!this.state.wabas.has(SIM_DEMO_IDS.wabaId)) {
      this.state.createWaba({
        id: SIM_DEMO_IDS.wabaId,
        businessId,
        name: 'Lucky Shrub',
        messageTemplateNamespace: '93d3e793_8a4f_49c4_b903_fd72aac80f71',
        subscribed: true,
        templates: SEEDED_TEMPLATES.map((template) => ({ ...template, id: DEMO_TEMPLATE_IDS[template.name] })),
      });
    }
    if (!this.state.phones.has(SIM_DEMO_IDS.phoneNumberId)) {
      this.state.createPhoneNumber({
        id: SIM_DEMO_IDS.phoneNumberId,
        wabaId: SIM_DEMO_IDS.wabaId,
        displayPhoneNumber: SIM_DEMO_IDS.displayPhoneNumber,
        verifiedName: 'Lucky Shrub',
        pin: '123456',
      });
    }
    const token = this.state.issueToken({ wabaIds: [SIM_DEMO_IDS.wabaId], businessId, expiresInSeconds: null }).token;
    return { businessId, wabaId: SIM_DEMO_IDS.wabaId, phoneNumberId: SIM_DEMO_IDS.phoneNumberId, token };
  }
}
