import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { APP_ID, APP_SECRET, gatewayFor, rejection, useSimulatedGateway } from 'test/utils/meta-gateway-harness';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import type { MetaGateway } from './meta-gateway';
import { MetaGatewayErrorCode } from './meta-gateway.exception';

// Meta's rate limits: throttle errors and usage headers pause a business object or the whole app.
describe(`${GraphApiMetaGateway.name} throttling`, () => {
  let sut: MetaGateway;

  const { requestsTo, fault, newWaba } = useSimulatedGateway((started) => {
    ({ sut } = started);
  });

  describe('rate limiting', () => {
    it('should surface a BUC throttle (80008) with minutes to wait as RATE_LIMITED without retrying, and pause the WABA', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'throttle', regainMinutes: 7 });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(80008);
      expect(error.retryAfterSeconds).toBe(7 * 60);
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(1);
      const until = sut.throttledUntil(wabaId);
      expect(until).toBeInstanceOf(Date);
      expect(until!.getTime()).toBeGreaterThan(Date.now() + 6 * 60_000);
    });

    it('should pause the WABA after a WABA rate limit (80007)', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'waba_throttle' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(80007);
      expect(sut.throttledUntil(wabaId)).toBeInstanceOf(Date);
    });

    it('should map the app limit (4) to RATE_LIMITED and pause the app', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'app_throttle' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(4);
      // X-App-Usage at 100 % and code 4 pause the whole app, so every object reads as throttled.
      expect(sut.throttledUntil('any-business-object')).toBeInstanceOf(Date);
    });

    it('should pause a WABA once X-Business-Use-Case-Usage reaches 90 % on successful calls', async () => {
      const budgeted = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, bucCallBudget: 10 });
      const { gateway, close } = await gatewayFor(await budgeted.start(0));
      try {
        const waba = budgeted.createWaba({});
        const token = budgeted.issueToken({ wabaIds: [waba.id] });
        for (let call = 1; call <= 8; call += 1) {
          await gateway.getWaba(waba.id, token);
        }
        expect(gateway.throttledUntil(waba.id)).toBeNull();

        await gateway.getWaba(waba.id, token);

        expect(gateway.throttledUntil(waba.id)).toBeInstanceOf(Date);
        expect(gateway.throttledUntil('some-other-waba')).toBeNull();
      } finally {
        await close();
        await budgeted.stop();
      }
    });
  });
});
