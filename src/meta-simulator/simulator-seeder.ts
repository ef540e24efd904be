import {
  SIM_DEFAULT_BUSINESS_TOKEN_TTL_SECONDS,
  SIM_DEFAULT_CODE_TTL_SECONDS,
  SIM_DEMO_IDS,
} from './meta-simulator.constants';
import type { CreateSignupSessionInput, MetaSimulatorOptions, SignupSession, SimWaba } from './meta-simulator.types';
import type { SimulatorStateStore } from './simulator-state.store';

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
