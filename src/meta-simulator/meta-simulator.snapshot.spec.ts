import { MetaSimulator, type SimulatorSnapshot } from './meta-simulator';
import { graphCall, type GraphCallResult } from './meta-simulator.testing';

const APP_ID = '222333444555666';
const APP_SECRET = 'snapshot-secret';
const SYSTEM_TOKEN = 'SYSTEM_USER_TOKEN_SNAPSHOT';
const APP_TOKEN = `${APP_ID}|${APP_SECRET}`;

interface World {
  wabaId: string;
  otherWabaId: string;
  phoneNumberId: string;
  businessId: string;
  businessToken: string;
  expiredToken: string;
  invalidatedToken: string;
}

describe('MetaSimulator state snapshots', () => {
  let nowMs: number;
  const simulators: MetaSimulator[] = [];

  const newSimulator = (onStateChange?: () => void): MetaSimulator => {
    const simulator = new MetaSimulator({
      appId: APP_ID,
      appSecret: APP_SECRET,
      systemUserToken: SYSTEM_TOKEN,
      now: () => new Date(nowMs),
      onStateChange,
    });
    simulators.push(simulator);
    return simulator;
  };

  const call = (base: string, method: string, path: string, token: string, body?: unknown): Promise<GraphCallResult> =>
    graphCall(base, method, path, { token, body });

  /** Builds a world through the same Graph calls the service makes when it connects a number. */
  const buildWorld = async (simulator: MetaSimulator, base: string): Promise<World> => {
    const session = simulator.createSignupSession({ wabaName: 'Lucky Shrub', displayPhoneNumber: '+1 631-555-0100' });
    const exchange = await call(
      base,
      'GET',
      `/v25.0/oauth/access_token?client_id=${APP_ID}&client_secret=${APP_SECRET}&code=${encodeURIComponent(session.code)}`,
      '',
    );
    const businessToken = (exchange.json as { access_token: string }).access_token;
    expect((await call(base, 'POST', `/v25.0/${session.wabaId}/subscribed_apps`, businessToken, {})).status).toBe(200);
    const register = await call(base, 'POST', `/v25.0/${session.phoneNumberId}/register`, businessToken, {
      messaging_product: 'whatsapp',
      pin: '246810',
    });
    expect(register.status).toBe(200);
    simulator.setBusinessTermsStatus(session.businessId, 'TERM_OF_SERVICE_SIGNED');
    await simulator.applyEvent(session.wabaId, 'MM_LITE_ONBOARDED', { silent: true });
    const other = simulator.createWaba({ name: 'Second', businessId: session.businessId, subscribed: true });
    simulator.createPhoneNumber({ wabaId: other.id });
    const expiredToken = simulator.issueToken({ wabaIds: [other.id], expiresInSeconds: 3600 });
    simulator.expireToken(expiredToken);
    const invalidatedToken = simulator.issueToken({ wabaIds: [other.id], expiresInSeconds: null });
    simulator.invalidateToken(invalidatedToken);
    return {
      wabaId: session.wabaId,
      otherWabaId: other.id,
      phoneNumberId: session.phoneNumberId,
      businessId: session.businessId,
      businessToken,
      expiredToken,
      invalidatedToken,
    };
  };

  /** The Graph answers (status and body) the service depends on, in a fixed order. */
  const answers = async (base: string, world: World): Promise<Array<{ status: number; body: unknown }>> => {
    const debug = (token: string) => `/v25.0/debug_token?input_token=${encodeURIComponent(token)}`;
    const reads: Array<[string, string]> = [
      [
        `/v25.0/${world.wabaId}?fields=id,name,status,health_status,marketing_messages_onboarding_status`,
        world.businessToken,
      ],
      [`/v25.0/${world.wabaId}/phone_numbers`, world.businessToken],
      [`/v25.0/${world.phoneNumberId}`, world.businessToken],
      [`/v25.0/${world.wabaId}/subscribed_apps`, world.businessToken],
      [debug(world.businessToken), APP_TOKEN],
      [debug(world.expiredToken), APP_TOKEN],
      [debug(world.invalidatedToken), APP_TOKEN],
      [debug(SYSTEM_TOKEN), APP_TOKEN],
      [`/v25.0/?ids=${world.wabaId},${world.otherWabaId}&fields=id,name,owner_business_info`, SYSTEM_TOKEN],
      [`/v25.0/${world.businessId}?fields=marketing_messages_onboarding_status`, SYSTEM_TOKEN],
      [`/v25.0/${world.otherWabaId}`, world.expiredToken],
    ];
    const results: Array<{ status: number; body: unknown }> = [];
    for (const [path, token] of reads) {
      const response = await call(base, 'GET', path, token);
      results.push({ status: response.status, body: stripTrace(response.json) });
    }
    return results;
  };

  beforeEach(() => {
    nowMs = Date.parse('2026-03-01T12:00:00Z');
  });

  afterEach(async () => {
    await Promise.all(simulators.splice(0).map((simulator) => simulator.stop()));
  });

  it('should give the same Graph answers after export, JSON round-trip and import into a new simulator', async () => {
    const original = newSimulator();
    const originalBase = await original.start();
    const world = await buildWorld(original, originalBase);
    const before = await answers(originalBase, world);

    const snapshot = JSON.parse(JSON.stringify(original.exportState())) as SimulatorSnapshot;
    const restored = newSimulator();
    restored.importState(snapshot);
    const restoredBase = await restored.start();
    const after = await answers(restoredBase, world);

    expect(snapshot.version).toBe(1);
    expect(before.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401]);
    expect(after).toEqual(before);
    const debugged = after.slice(4, 7).map((answer) => (answer.body as { data: { is_valid: boolean } }).data.is_valid);
    expect(debugged).toEqual([true, false, false]);
  });

  it('should keep the registration PIN, the token grants and the client list order', async () => {
    const original = newSimulator();
    const world = await buildWorld(original, await original.start());
    const restored = newSimulator();
    restored.importState(JSON.parse(JSON.stringify(original.exportState())));
    const base = await restored.start();

    const register = (pin: string) =>
      call(base, 'POST', `/v25.0/${world.phoneNumberId}/register`, world.businessToken, {
        messaging_product: 'whatsapp',
        pin,
      });
    expect(((await register('111111')).json as { error: { code: number } }).error.code).toBe(133005);
    expect((await register('246810')).status).toBe(200);
    expect((await call(base, 'GET', `/v25.0/${world.otherWabaId}`, world.businessToken)).status).not.toBe(200);
    expect(restored.exportState().wabas.map((waba) => waba.id)).toEqual(
      original.exportState().wabas.map((waba) => waba.id),
    );
    expect(restored.getPhoneNumber(world.phoneNumberId)).toEqual(original.getPhoneNumber(world.phoneNumberId));
  });

  it('should leave out the request log, faults and signup codes', async () => {
    const original = newSimulator();
    const base = await original.start();
    const session = original.createSignupSession();
    original.injectFault({ path: '*', kind: 'http500', times: 1 });
    await call(base, 'GET', `/v25.0/${session.wabaId}`, SYSTEM_TOKEN);

    const snapshot = original.exportState();
    const restored = newSimulator();
    restored.importState(snapshot);
    const restoredBase = await restored.start();

    expect(JSON.stringify(snapshot)).not.toContain(session.code);
    expect(restored.requests).toHaveLength(0);
    expect(restored.listFaults()).toHaveLength(0);
    const exchange = await call(
      restoredBase,
      'GET',
      `/v25.0/oauth/access_token?client_id=${APP_ID}&client_secret=${APP_SECRET}&code=${encodeURIComponent(session.code)}`,
      '',
    );
    expect(exchange.status).toBe(400);
  });

  it('should refuse an unknown version, another app or a malformed snapshot and keep its state', () => {
    const original = newSimulator();
    const waba = original.createWaba({ name: 'Kept' });
    const snapshot = original.exportState();
    const target = newSimulator();
    const existing = target.createWaba({ name: 'Existing' });

    expect(() => target.importState({ ...snapshot, version: 2 })).toThrow('Unsupported simulator snapshot version 2');
    expect(() => target.importState({ ...snapshot, appId: '999' })).toThrow('another Meta app id');
    expect(() => target.importState({ ...snapshot, tokens: 'x' })).toThrow('"tokens" is not an array');
    expect(() => target.importState('not json')).toThrow('not an object');
    expect(target.getWaba(existing.id)?.name).toBe('Existing');
    expect(target.getWaba(waba.id)).toBeUndefined();
  });

  it('should report state changes from mutating methods and Graph writes, not from Graph reads', async () => {
    let changes = 0;
    const simulator = newSimulator(() => {
      changes += 1;
    });
    const base = await simulator.start();
    const waba = simulator.createWaba({});
    expect(changes).toBe(1);

    await call(base, 'GET', `/v25.0/${waba.id}`, SYSTEM_TOKEN);
    expect(changes).toBe(1);
    await call(base, 'POST', `/v25.0/${waba.id}/subscribed_apps`, SYSTEM_TOKEN, {});
    expect(changes).toBe(2);
    simulator.createSignupSession();
    expect(changes).toBe(3);
    await simulator.applyEvent(waba.id, 'DISABLE', { silent: true });
    expect(changes).toBe(4);
  });
});

/** Trace ids differ per response; everything else must match. */
function stripTrace(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body ?? null).replace(/"fbtrace_id":"[^"]*"/g, '"fbtrace_id":""'));
}
