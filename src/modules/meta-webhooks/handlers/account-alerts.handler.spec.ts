import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { routeWebhookChanges } from 'src/modules/meta-webhooks/webhook-change.router';

import { readAccountAlert } from './account-alerts.handler';

const WABA_ID = '102290129340398';

function fixture(path: string): unknown {
  return JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'meta', '2026', path), 'utf8'));
}

function alertOf(value: Record<string, unknown>) {
  const [change] = routeWebhookChanges({
    object: 'whatsapp_business_account',
    entry: [{ id: WABA_ID, time: 1763035200, changes: [{ field: 'account_alerts', value }] }],
  });
  return readAccountAlert(change, WABA_ID);
}

describe(readAccountAlert.name, () => {
  it.each([
    [
      'webhooks/account_alerts.increased_capabilities_deferred.json',
      'BUSINESS',
      '506914307656634',
      'WARNING',
      'ACTIVE',
    ],
    ['derived/account_alerts.increased_capabilities_failed.json', 'BUSINESS', '506914307656634', 'CRITICAL', 'ACTIVE'],
    ['derived/account_alerts.oba_approved.json', 'PHONE_NUMBER', '106540352242922', 'INFORMATIONAL', 'NONE'],
  ])('should read %s as Meta sent it', (path, entityType, entityId, severity, status) => {
    const [change] = routeWebhookChanges(fixture(path));
    expect(change.wabaId).toBe(WABA_ID);
    expect(readAccountAlert(change, WABA_ID)).toMatchObject({ entityType, entityId, severity, status });
  });

  it('should read the flat shape with INFO and RESOLVED as INFORMATIONAL and NONE', () => {
    expect(
      alertOf({
        entity_type: 'WABA',
        entity_id: WABA_ID,
        alert_severity: 'INFO',
        alert_status: 'RESOLVED',
        alert_type: 'PROFILE_PICTURE_LOST',
        alert_description: 'reupload your profile picture',
      }),
    ).toEqual({
      entityType: 'WABA',
      entityId: WABA_ID,
      type: 'PROFILE_PICTURE_LOST',
      severity: 'INFORMATIONAL',
      status: 'NONE',
      description: 'reupload your profile picture',
    });
  });

  it('should take an alert without an entity as about the WABA, and a numeric entity ID as its digits', () => {
    expect(alertOf({ alert_info: { alert_severity: 'warning', alert_type: 'OBA_REJECTED' } })).toMatchObject({
      entityType: 'WABA',
      entityId: WABA_ID,
      severity: 'WARNING',
      status: 'ACTIVE',
      description: null,
    });
    expect(
      alertOf({
        entity_type: 'PHONE_NUMBER',
        entity_id: 106540352242922,
        alert_info: { alert_severity: 'CRITICAL', alert_status: 'ACTIVE', alert_type: 'OBA_REJECTED' },
      }),
    ).toMatchObject({ entityType: 'PHONE_NUMBER', entityId: '106540352242922' });
  });

  it('should refuse an alert without a type, a severity, or the ID of the entity it names', () => {
    expect(alertOf({ alert_info: { alert_severity: 'CRITICAL' } })).toBeNull();
    expect(alertOf({ alert_info: { alert_type: 'OBA_REJECTED' } })).toBeNull();
    expect(
      alertOf({ entity_type: 'PHONE_NUMBER', alert_info: { alert_severity: 'CRITICAL', alert_type: 'OBA_REJECTED' } }),
    ).toBeNull();
  });
});
