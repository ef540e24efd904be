import { createHmac } from 'node:crypto';

import { SIM_ALERT_TYPES } from './account-alert.scenario';
import { MetaSimulator } from './meta-simulator';
import { SIM_DEMO_IDS } from './meta-simulator.constants';
import { readFixture, startWebhookReceiver, type WebhookReceiver } from './meta-simulator.testing';
import type { JsonObject, SimEventParams } from './meta-simulator.types';

const APP_SECRET = 'alerts-fidelity-secret';
const NOW_MS = Date.parse('2026-11-13T12:00:00Z');

interface AlertPayload {
  object: string;
  entry: Array<{
    id: string;
    time: number;
    changes: Array<{ field: string; value: { entity_type: string; entity_id: string; alert_info: JsonObject } }>;
  }>;
}

describe('MetaSimulator account_alerts fidelity (fixtures/2026/webhooks, fixtures/2026/derived)', () => {
  let sut: MetaSimulator;
  let receiver: WebhookReceiver;

  /** Raises the alert on the demo WABA and returns the delivery as received, its signature checked. */
  const raise = async (params: SimEventParams): Promise<AlertPayload> => {
    const delivery = await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'ACCOUNT_ALERT', params);
    expect(delivery).not.toBeNull();
    const received = receiver.received[receiver.received.length - 1];
    const signature = createHmac('sha256', APP_SECRET).update(received.body).digest('hex');
    expect(received.headers['x-hub-signature-256']).toBe(`sha256=${signature}`);
    return JSON.parse(received.body) as AlertPayload;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sut = new MetaSimulator({
      appId: SIM_DEMO_IDS.appId,
      appSecret: APP_SECRET,
      webhookUrl: receiver.url,
      now: () => new Date(NOW_MS),
    });
    await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await receiver.close();
  });

  beforeEach(() => {
    sut.reset();
    sut.seedDemo();
    receiver.received.length = 0;
  });

  it.each([
    [
      'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
      '2026/webhooks/account_alerts.increased_capabilities_deferred.json',
    ],
    ['INCREASED_CAPABILITIES_ELIGIBILITY_FAILED', '2026/derived/account_alerts.increased_capabilities_failed.json'],
    ['OBA_APPROVED', '2026/derived/account_alerts.oba_approved.json'],
  ])('should emit %s exactly like %s but for the time and the sentence', async (alertType, fixturePath) => {
    const payload = await raise({ alertType });
    const fixture = readFixture<AlertPayload>(fixturePath);
    // Meta's sentence is free text (paraphrased in the fixtures, never parsed); the time is the event's.
    const description = (body: AlertPayload) => body.entry[0].changes[0].value.alert_info.alert_description;
    expect(typeof description(payload)).toBe('string');
    expect(payload.entry[0].time).toBe(NOW_MS / 1000);
    const normalise = (body: AlertPayload): AlertPayload => {
      const copy = structuredClone(body);
      copy.entry[0].time = 0;
      copy.entry[0].changes[0].value.alert_info.alert_description = '';
      return copy;
    };
    expect(normalise(payload)).toEqual(normalise(fixture));
  });

  it("should name the portfolio in a deferral's sentence, as the documented one does", async () => {
    const payload = await raise({});
    const info = payload.entry[0].changes[0].value.alert_info;
    expect(info.alert_type).toBe('INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED');
    expect(info.alert_description).toBe(
      "Limits can't be raised for Lucky Shrub yet; keep using the platform actively for a few days within policy.",
    );
  });

  it('should emit every documented alert type with a documented entity, severity and status', async () => {
    for (const alertType of Object.keys(SIM_ALERT_TYPES)) {
      const { entry } = await raise({ alertType });
      const { field, value } = entry[0].changes[0];
      expect(field).toBe('account_alerts');
      expect(entry[0].id).toBe(SIM_DEMO_IDS.wabaId);
      expect(['BUSINESS', 'PHONE_NUMBER', 'CURRENT_STATUS_ID']).toContain(value.entity_type);
      expect(value.entity_id).toBe(
        value.entity_type === 'BUSINESS' ? SIM_DEMO_IDS.businessId : SIM_DEMO_IDS.phoneNumberId,
      );
      expect(['CRITICAL', 'WARNING', 'INFORMATIONAL']).toContain(value.alert_info.alert_severity);
      expect(['ACTIVE', 'NONE']).toContain(value.alert_info.alert_status);
      expect(value.alert_info.alert_type).toBe(alertType);
    }
  });

  it('should let the caller set the status, severity and sentence, and refuse a number of another WABA', async () => {
    const payload = await raise({
      alertType: 'OBA_REJECTED',
      alertStatus: 'NONE',
      alertSeverity: 'WARNING',
      alertDescription: 'Resolved.',
    });
    expect(payload.entry[0].changes[0].value.alert_info).toEqual({
      alert_severity: 'WARNING',
      alert_status: 'NONE',
      alert_type: 'OBA_REJECTED',
      alert_description: 'Resolved.',
    });
    await expect(
      sut.applyEvent(SIM_DEMO_IDS.wabaId, 'ACCOUNT_ALERT', { alertType: 'OBA_REJECTED', phoneNumberId: '999' }),
    ).rejects.toThrow(/has no phone number 999/);
  });
});
