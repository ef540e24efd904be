import { readFixture as fixture } from 'src/meta-simulator/meta-simulator.testing';

import { routeWebhookChanges, splitDeliveryByWaba } from './webhook-change.router';

describe('routeWebhookChanges', () => {
  it('should route partner events by waba_info.waba_id, not by the partner entry.id', () => {
    const [change] = routeWebhookChanges(fixture('webhooks/account_update.mm_lite_terms_signed.json'));
    expect(change).toMatchObject({
      field: 'account_update',
      event: 'MM_LITE_TERMS_SIGNED',
      wabaId: '980198427658004',
      entryId: '2949482758682047',
      time: new Date(1744823932 * 1000),
    });
  });

  it('should route WABA-state events by entry.id whatever the key order of the envelope', () => {
    const [change] = routeWebhookChanges(fixture('webhooks/phone_number_name_update.approved.json'));
    expect(change).toMatchObject({ field: 'phone_number_name_update', wabaId: '102290129340398', event: null });
    expect(change?.value.display_phone_number).toBe('15550783881');
  });

  it('should read metadata.phone_number_id of messages and accept an entry without time', () => {
    const [change] = routeWebhookChanges(fixture('webhooks/messages.status.sent_v24_minimal.json'));
    expect(change).toMatchObject({ field: 'messages', phoneNumberId: '106540352242922', time: null });
  });

  it('should split every entry and change of a batched delivery', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          time: 10,
          changes: [
            { field: 'a', value: {} },
            { field: 'b', value: {} },
          ],
        },
        { id: '2', time: 20, changes: [{ field: 'c', value: { event: 'X' } }] },
      ],
    };
    expect(routeWebhookChanges(payload).map((change) => [change.field, change.wabaId, change.event])).toEqual([
      ['a', '1', null],
      ['b', '1', null],
      ['c', '2', 'X'],
    ]);
  });

  it.each([null, 'text', [], {}, { entry: 'x' }, { entry: [null, { changes: [null, { value: {} }] }] }])(
    'should yield nothing unreadable from %j instead of throwing',
    (payload) => {
      expect(routeWebhookChanges(payload)).toEqual([]);
    },
  );

  it('should refuse ids that are not Meta digit strings', () => {
    const [change] = routeWebhookChanges({
      entry: [{ id: '../etc', changes: [{ field: 'account_update', value: { waba_info: { waba_id: { x: 1 } } } }] }],
    });
    expect(change).toMatchObject({ wabaId: null, entryId: null });
  });
});

describe('splitDeliveryByWaba', () => {
  const fallback = 'delivery:abc';

  it('should keep a delivery about one WABA as one part with its exact text', () => {
    const text = ' {"entry":[{"id":"1","time":10,"changes":[{"field":"a","value":{}},{"field":"b","value":{}}]}]}';
    expect(splitDeliveryByWaba(JSON.parse(text), text, fallback)).toEqual([{ orderingKey: '1', json: text }]);
  });

  it('should give a delivery that names no WABA the fallback key', () => {
    expect(splitDeliveryByWaba({ hello: 'world' }, '{"hello":"world"}', fallback)).toEqual([
      { orderingKey: fallback, json: '{"hello":"world"}' },
    ]);
  });

  it('should split a batch about several WABAs into one envelope each, in order', () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '9',
          time: 10,
          changes: [
            { field: 'account_update', value: { event: 'PARTNER_ADDED', waba_info: { waba_id: '1' } } },
            { field: 'account_update', value: { event: 'PARTNER_ADDED', waba_info: { waba_id: '2' } } },
          ],
        },
        { id: '1', time: 20, changes: [{ field: 'account_review_update', value: { decision: 'APPROVED' } }] },
        { id: 'x', changes: [{ field: 'account_update', value: {} }] },
      ],
    };
    const parts = splitDeliveryByWaba(payload, JSON.stringify(payload), fallback);
    expect(parts.map((part) => part.orderingKey)).toEqual(['1', '2', fallback]);
    expect(routeWebhookChanges(JSON.parse(parts[0]?.json ?? '')).map((change) => [change.field, change.time])).toEqual([
      ['account_update', new Date(10_000)],
      ['account_review_update', new Date(20_000)],
    ]);
    expect(JSON.parse(parts[1]?.json ?? '')).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '9',
          time: 10,
          changes: [{ field: 'account_update', value: { event: 'PARTNER_ADDED', waba_info: { waba_id: '2' } } }],
        },
      ],
    });
    expect(routeWebhookChanges(JSON.parse(parts[2]?.json ?? ''))).toHaveLength(1);
  });
});
