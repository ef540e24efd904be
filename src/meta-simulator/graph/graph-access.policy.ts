import type { SimBusiness, SimPhoneNumber, SimWaba } from 'src/meta-simulator/meta-simulator.types';
import type { SimToken, SimulatorStateStore } from 'src/meta-simulator/simulator-state.store';

import { GraphApiError } from './graph-api.error';
import type { GraphApiHandlerConfig, GraphCaller } from './graph-api.types';

/** Who is calling and what that caller may see (§1.5, §2.5, §3.5). */
export class GraphAccessPolicy {
  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: Pick<GraphApiHandlerConfig, 'appId' | 'appSecret' | 'now'>,
  ) {}

  /** Classifies the caller's token without failing (used for the request log too). */
  identify(token: string | null): GraphCaller {
    if (token === null || token === '') {
      return { kind: 'none' };
    }
    if (token.includes('|')) {
      return token === this.appToken() ? { kind: 'app' } : { kind: 'unknown' };
    }
    const record = this.state.findToken(token);
    return record ? { kind: record.kind, record } : { kind: 'unknown' };
  }

  /** The app access token `APP_ID|APP_SECRET`. */
  appToken(): string {
    return `${this.config.appId}|${this.config.appSecret}`;
  }

  /** A token the simulator knows (or the app token), usable or not; 104 without one, 190 for another. */
  requireKnownToken(token: string | null): GraphCaller {
    const caller = this.identify(token);
    if (caller.kind === 'none') {
      throw GraphApiError.tokenRequired();
    }
    if (caller.kind === 'unknown') {
      throw GraphApiError.unparsableToken();
    }
    return caller;
  }

  /** A valid business or system-user token, else the matching 104/190 error (§1.5). */
  requireUserToken(token: string | null): GraphCaller {
    const caller = this.requireKnownToken(token);
    if (caller.record) {
      this.assertTokenUsable(caller.record);
    }
    return caller;
  }

  /** Throws 190/467 for an invalidated token and 190/463 for an expired one. */
  assertTokenUsable(record: SimToken): void {
    if (record.invalidated) {
      throw GraphApiError.invalidatedToken();
    }
    const now = this.config.now();
    if (record.expiresAt !== null && record.expiresAt <= now.getTime()) {
      throw GraphApiError.expiredToken(new Date(record.expiresAt), now);
    }
  }

  /** A system user sees every live WABA; a business token only the shared WABAs it was granted. */
  canSeeWaba(caller: GraphCaller, waba: SimWaba): boolean {
    if (waba.state === 'DELETED' || !caller.record) {
      return false;
    }
    if (caller.record.kind === 'system_user') {
      return true;
    }
    return waba.sharedWithPartner && caller.record.wabaIdSet.has(waba.id);
  }

  /** A number is visible exactly when its WABA is. */
  canSeePhone(caller: GraphCaller, phone: SimPhoneNumber): boolean {
    const waba = this.state.wabas.get(phone.wabaId);
    return waba !== undefined && this.canSeeWaba(caller, waba);
  }

  /** A business is visible to system users, to its own tokens, and to tokens that see one of its WABAs. */
  canSeeBusiness(caller: GraphCaller, business: SimBusiness): boolean {
    if (!caller.record) {
      return false;
    }
    if (caller.record.kind === 'system_user' || caller.record.businessId === business.id) {
      return true;
    }
    return business.wabaIds.some((id) => {
      const waba = this.state.wabas.get(id);
      return waba !== undefined && this.canSeeWaba(caller, waba);
    });
  }
}
