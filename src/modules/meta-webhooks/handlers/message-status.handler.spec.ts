import { readFixture } from 'src/meta-simulator/meta-simulator.testing';
import { MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';

import { readPreferenceReports, readStatusReports } from './message-status.handler';

type Delivery = { entry: Array<{ changes: Array<{ field: string; value: Record<string, unknown> }> }> };

const valueOf = (fixture: string): Record<string, unknown> => readFixture<Delivery>(fixture).entry[0].changes[0].value;

describe(readStatusReports.name, () => {
  it('should read a sent status with its pricing (fixture messages.status.sent_marketing)', () => {
    expect(readStatusReports(valueOf('webhooks/messages.status.sent_marketing.json'))).toEqual([
      {
        messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
        status: MarketingMessageStatus.SENT,
        at: new Date(1750030073 * 1000),
        callbackData: null,
        recipients: ['+16505551234'],
        error: null,
        pricingCategory: 'marketing',
      },
    ]);
  });

  it('should read a failed status with its error and no contacts (fixture messages.status.failed_131049)', () => {
    const [report] = readStatusReports(valueOf('webhooks/messages.status.failed_131049.json'));

    expect(report).toMatchObject({
      status: MarketingMessageStatus.FAILED,
      recipients: ['+16505551234'],
      error: {
        code: 131049,
        title: 'This message was not delivered to maintain healthy ecosystem engagement.',
        details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
      },
    });
  });

  it('should read the BSUID and parent BSUID of a status sent to a BSUID, with marketing_lite pricing', () => {
    const [report] = readStatusReports(valueOf('2026/webhooks/messages.status.delivered.sent_to_bsuid.json'));

    expect(report).toMatchObject({
      status: MarketingMessageStatus.DELIVERED,
      recipients: ['US.13491208655302741918', 'US.ENT.11815799212886844830'],
      pricingCategory: 'marketing_lite',
    });
  });

  it('should keep biz_opaque_callback_data only when it is one of our IDs', () => {
    const status = { id: 'wamid.1', status: 'read', timestamp: '1750030073', recipient_id: '447700900123' };

    const [ours, theirs] = readStatusReports({
      statuses: [
        { ...status, biz_opaque_callback_data: '5D0C1A8E-3C1B-4B55-9A43-1F1F5F0A7C11' },
        { ...status, biz_opaque_callback_data: 'campaign-42' },
      ],
    });

    expect(ours.callbackData).toBe('5d0c1a8e-3c1b-4b55-9a43-1f1f5f0a7c11');
    expect(theirs.callbackData).toBeNull();
  });

  it('should leave out statuses it does not apply and entries it cannot read', () => {
    expect(
      readStatusReports({
        statuses: [
          { id: 'wamid.1', status: 'deleted', timestamp: '1750030073' },
          { id: 'wamid.2', status: 'sent', timestamp: 'yesterday' },
          { status: 'sent', timestamp: '1750030073' },
          'sent',
        ],
      }),
    ).toEqual([]);
    expect(readStatusReports({ messages: [{ from: '447700900123' }] })).toEqual([]);
  });
});

describe(readPreferenceReports.name, () => {
  const entry = {
    wa_id: '447700900123',
    user_id: 'GB.1349',
    detail: 'User requested to stop marketing messages',
    category: 'marketing_messages',
    value: 'stop',
    timestamp: 1750030073,
  };

  it('should read a stop and a resume with every identifier of the user', () => {
    expect(readPreferenceReports({ user_preferences: [entry, { ...entry, value: 'resume' }] })).toEqual([
      { recipients: ['+447700900123', 'GB.1349'], stop: true, at: new Date(1750030073 * 1000) },
      { recipients: ['+447700900123', 'GB.1349'], stop: false, at: new Date(1750030073 * 1000) },
    ]);
  });

  it('should read the field under the name user_marketing_preferences too', () => {
    expect(readPreferenceReports({ user_marketing_preferences: [entry] })).toHaveLength(1);
  });

  it('should leave out other categories, other values and entries without a user', () => {
    expect(
      readPreferenceReports({
        user_preferences: [
          { ...entry, category: 'service_messages' },
          { ...entry, value: 'mute' },
          { ...entry, wa_id: undefined, user_id: undefined },
        ],
      }),
    ).toEqual([]);
  });
});
