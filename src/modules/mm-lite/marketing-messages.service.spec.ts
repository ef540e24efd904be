import { ErrorCode } from 'src/common/exceptions/error-code';
import { ChangeSource } from 'src/modules/audit/change-context';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { Actors } from 'src/modules/organizations/actor';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import type { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import type { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import type { TemplateLookup, TemplatesService } from 'src/modules/templates/templates.service';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { MmLiteStatus, WabaConnection, WabaStatus } from 'src/modules/wabas/wabas.constants';
import { ReauthRequiredException } from 'src/modules/wabas/wabas.exception';
import type { WabasService } from 'src/modules/wabas/wabas.service';
import { FakeMetaGateway } from 'test/fakes/fake-meta-gateway';

import type { MarketingSendLogService } from './marketing-send-log.service';
import { MarketingMessagesService, type MarketingMessageInput } from './marketing-messages.service';
import { MarketingHoldKind, RecipientType } from './mm-lite.constants';
import type { ActiveHold } from './sends/marketing-recipient-hold.repository';

type StoredNumber = Awaited<ReturnType<PhoneNumbersService['getForOrganization']>>;

const ORG = 'org-1';
const WABA_ID = '102290129340398';
const PHONE_ID = '106540352242922';
const ACTOR = Actors.apiKey('key-1');
const SEND_ID = '5d0c1a8e-3c1b-4b55-9a43-1f1f5f0a7c11';
const INPUT: MarketingMessageInput = {
  to: '+447700900123',
  template: { name: 'spring_sale', language: 'en_US' },
};

/**
 * A send on fakes: Meta is the in-memory gateway; the owners of the number, the WABA and the sync are faked
 * at the public methods the send uses, recording what they were asked.
 */
function setUp({
  sendingChannel = SendingChannel.CLOUD_API,
  connection = WabaConnection.CONNECTED,
  holds = [] as ActiveHold[],
} = {}) {
  const meta = new FakeMetaGateway();
  meta.setWaba({ id: WABA_ID });
  meta.setPhoneNumber(WABA_ID, { id: PHONE_ID });
  const waba = {
    wabaId: WABA_ID,
    status: WabaStatus.ACTIVE,
    statusReason: null,
    connection,
    mmLiteStatus: MmLiteStatus.ONBOARDED,
  } as unknown as WabaView;
  const phone = { phoneNumberId: PHONE_ID, sendingChannel, waba } as unknown as StoredNumber;
  const phoneNumbers = {
    getForOrganization: (organizationId: string, phoneNumberId: string) =>
      Promise.resolve(organizationId === ORG && phoneNumberId === PHONE_ID ? phone : null),
  };
  const wabas = {
    revealToken: () => Promise.resolve('business-token'),
    markReauthRequired: jest.fn(() => Promise.resolve()),
  };
  const sync = { syncInBackground: jest.fn(() => Promise.resolve('SYNCED')) };
  // The stored templates know the send's template as an APPROVED MARKETING one (the send check's own cases
  // are in template-send-check.spec.ts and the e2e).
  const lookup: TemplateLookup = {
    template: {
      templateId: '1',
      name: INPUT.template.name,
      language: INPUT.template.language,
      category: 'MARKETING',
      pendingCategory: null,
      status: 'APPROVED',
      reason: null,
      metaUpdatedAt: null,
      templatesSyncedAt: new Date(),
    },
    languages: [],
    templatesSyncedAt: new Date(),
  };
  const templates = {
    lookupForSend: () => Promise.resolve(lookup),
    refreshWabaTemplates: jest.fn(() => Promise.resolve('SYNCED')),
  };
  // The record of sends, faked at what the send asks of it.
  const log = {
    record: jest.fn((_send: unknown) => Promise.resolve(SEND_ID)),
    accepted: jest.fn((_id: string, _messageId: string) => Promise.resolve()),
    refused: jest.fn((_id: string, _refusal: unknown, _at: Date) => Promise.resolve()),
    activeHolds: jest.fn(() => Promise.resolve(holds)),
  };
  const sut = new MarketingMessagesService(
    meta,
    wabas as unknown as WabasService,
    phoneNumbers as unknown as PhoneNumbersService,
    sync as unknown as WabaSyncService,
    templates as unknown as TemplatesService,
    log as unknown as MarketingSendLogService,
  );
  return { sut, meta, wabas, sync, templates, log };
}

describe(MarketingMessagesService.name, () => {
  it.each([
    [SendingChannel.CLOUD_API, 'sendTemplateMessage'],
    [SendingChannel.MM_LITE, 'sendMarketingMessage'],
  ] as const)('should send through %s with one %s call', async (channel, method) => {
    const { sut, meta } = setUp({ sendingChannel: channel });

    await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).resolves.toEqual({
      id: SEND_ID,
      messageId: 'wamid.fake-1',
      channel,
      recipientType: RecipientType.PHONE_NUMBER,
      recipient: { phone: INPUT.to },
    });

    // Cloud API sends carry our ID as biz_opaque_callback_data; /marketing_messages takes no such field.
    const callback = method === 'sendTemplateMessage' ? [SEND_ID] : [];
    expect(meta.calls).toEqual([
      { method, args: [PHONE_ID, { phone: INPUT.to }, INPUT.template, 'business-token', ...callback] },
    ]);
  });

  it.each([
    [SendingChannel.CLOUD_API, 'sendTemplateMessage'],
    [SendingChannel.MM_LITE, 'sendMarketingMessage'],
  ] as const)(
    'should send a BSUID recipient through %s as a BSUID, never as a phone number',
    async (channel, method) => {
      const { sut, meta } = setUp({ sendingChannel: channel });
      const input: MarketingMessageInput = { recipient: 'GB.13491208655302741918', template: INPUT.template };

      await expect(sut.send(ORG, PHONE_ID, input, ACTOR)).resolves.toEqual({
        id: SEND_ID,
        messageId: 'wamid.fake-1',
        channel,
        recipientType: RecipientType.BSUID,
        recipient: { bsuid: input.recipient },
      });

      const callback = method === 'sendTemplateMessage' ? [SEND_ID] : [];
      expect(meta.calls).toEqual([
        { method, args: [PHONE_ID, { bsuid: input.recipient }, INPUT.template, 'business-token', ...callback] },
      ]);
    },
  );

  it('should refuse a BSUID of a restricted region before calling Meta, naming recipient', async () => {
    const { sut, meta } = setUp();

    const error = await sut
      .send(ORG, PHONE_ID, { recipient: 'US.13491208655302741918', template: INPUT.template }, ACTOR)
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      code: ErrorCode.MARKETING_REGION_RESTRICTED,
      extras: { errors: [{ field: 'recipient', message: expect.stringContaining('US') }] },
    });
    expect(meta.calls).toEqual([]);
  });

  it('should read a null recipient field as left out', async () => {
    const { sut, meta } = setUp();

    await sut.send(ORG, PHONE_ID, { to: null, recipient: 'GB.1', template: INPUT.template }, ACTOR);

    expect(meta.calls[0].args[1]).toEqual({ bsuid: 'GB.1' });
  });

  it('should refuse an input with both recipients rather than let Meta drop the BSUID', async () => {
    const { sut, meta } = setUp();

    await expect(sut.send(ORG, PHONE_ID, { ...INPUT, recipient: 'GB.13491208655302741918' }, ACTOR)).rejects.toThrow(
      'exactly one',
    );

    expect(meta.calls).toEqual([]);
  });

  it('should mark the WABA REAUTH_REQUIRED through its owner and answer REAUTH_REQUIRED when Meta rejects the token', async () => {
    const { sut, meta, wabas, sync } = setUp();
    meta.failNext('sendTemplateMessage', MetaGatewayErrorCode.AUTH_INVALID);

    const error = await sut.send(ORG, PHONE_ID, INPUT, ACTOR).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ReauthRequiredException);
    expect(error).toMatchObject({ code: ErrorCode.REAUTH_REQUIRED });
    expect(wabas.markReauthRequired.mock.calls).toEqual([[WABA_ID, { source: ChangeSource.API, actor: ACTOR }]]);
    expect(sync.syncInBackground).not.toHaveBeenCalled();
  });

  it.each([
    [SendingChannel.CLOUD_API, 'sendTemplateMessage'],
    [SendingChannel.MM_LITE, 'sendMarketingMessage'],
  ] as const)(
    'should answer SEND_OUTCOME_UNKNOWN and never send again when the outcome of a %s send is lost',
    async (channel, method) => {
      const { sut, meta, wabas, sync } = setUp({ sendingChannel: channel });
      meta.failNext(
        method,
        new MetaGatewayException(MetaGatewayErrorCode.OUTCOME_UNKNOWN, 'timed out after the request left'),
      );

      const error = await sut.send(ORG, PHONE_ID, INPUT, ACTOR).catch((thrown: unknown) => thrown);

      expect(error).toMatchObject({ code: ErrorCode.SEND_OUTCOME_UNKNOWN, extras: { meta: { channel } } });
      expect(meta.calls.map((call) => call.method)).toEqual([method]);
      expect(meta.sentMessages).toEqual([]);
      expect(wabas.markReauthRequired).not.toHaveBeenCalled();
      expect(sync.syncInBackground).not.toHaveBeenCalled();
    },
  );

  it('should re-read the WABA in the background when Meta says the account is restricted', async () => {
    const { sut, meta, wabas, sync } = setUp();
    meta.failNext(
      'sendTemplateMessage',
      new MetaGatewayException(MetaGatewayErrorCode.ACCOUNT_RESTRICTED, 'Account locked', { metaCode: 131031 }),
    );

    const error = await sut.send(ORG, PHONE_ID, INPUT, ACTOR).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: ErrorCode.WABA_RESTRICTED });
    expect(sync.syncInBackground.mock.calls).toEqual([[WABA_ID, ACTOR]]);
    expect(wabas.markReauthRequired).not.toHaveBeenCalled();
    expect(meta.calls).toHaveLength(1);
  });

  it('should refuse without calling Meta when the WABA waits for re-authorization', async () => {
    const { sut, meta } = setUp({ connection: WabaConnection.REAUTH_REQUIRED });

    await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).rejects.toBeInstanceOf(ReauthRequiredException);

    expect(meta.calls).toEqual([]);
  });

  it("should read the WABA's templates again after Meta answers 134100, say so, and send nothing again", async () => {
    const { sut, meta, templates } = setUp({ sendingChannel: SendingChannel.MM_LITE });
    meta.failNext(
      'sendMarketingMessage',
      new MetaGatewayException(MetaGatewayErrorCode.INVALID_REQUEST, 'Only marketing messages supported', {
        metaCode: 134100,
      }),
    );

    const error = await sut.send(ORG, PHONE_ID, INPUT, ACTOR).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      code: ErrorCode.TEMPLATE_NOT_MARKETING,
      detail: expect.stringContaining('read from Meta again'),
      extras: { meta: { metaCode: 134100, templatesRefreshed: true } },
    });
    expect(templates.refreshWabaTemplates.mock.calls).toEqual([[WABA_ID]]);
    expect(meta.calls).toHaveLength(1);
  });

  it('should not read the templates again when the outcome of a send is unknown', async () => {
    const { sut, meta, templates } = setUp();
    meta.failNext(
      'sendTemplateMessage',
      new MetaGatewayException(MetaGatewayErrorCode.OUTCOME_UNKNOWN, 'unreadable answer', { metaCode: 132001 }),
    );

    const error = await sut.send(ORG, PHONE_ID, INPUT, ACTOR).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: ErrorCode.SEND_OUTCOME_UNKNOWN });
    expect(templates.refreshWabaTemplates).not.toHaveBeenCalled();
  });

  describe('the record of sends', () => {
    it('should record the send before calling Meta and mark it accepted with the message ID', async () => {
      const { sut, meta, log } = setUp();
      let recordedAtCall = -1;
      meta.onCall(() => {
        recordedAtCall = log.record.mock.calls.length;
      });

      await sut.send(ORG, PHONE_ID, INPUT, ACTOR);

      expect(recordedAtCall).toBe(1);
      expect(log.record.mock.calls).toEqual([
        [
          expect.objectContaining({
            organizationId: ORG,
            wabaId: WABA_ID,
            phoneNumberId: PHONE_ID,
            channel: SendingChannel.CLOUD_API,
            templateName: INPUT.template.name,
            templateCategory: 'MARKETING',
            recipientType: RecipientType.PHONE_NUMBER,
            recipient: INPUT.to,
            recipientCountryCallingCode: '44',
            recipientRegion: null,
            sentBy: ACTOR,
          }),
        ],
      ]);
      expect(log.accepted.mock.calls).toEqual([[SEND_ID, 'wamid.fake-1']]);
      expect(log.refused).not.toHaveBeenCalled();
    });

    it('should record Meta refusal as FAILED with its code', async () => {
      const { sut, meta, log } = setUp();
      meta.failNext(
        'sendTemplateMessage',
        new MetaGatewayException(MetaGatewayErrorCode.INVALID_REQUEST, 'opted out', {
          metaCode: 131050,
          metaDetails: 'The user opted out',
        }),
      );

      await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).rejects.toMatchObject({
        code: ErrorCode.RECIPIENT_OPTED_OUT,
      });

      expect(log.refused.mock.calls).toEqual([
        [SEND_ID, { code: 131050, title: 'opted out', details: 'The user opted out' }, expect.any(Date)],
      ]);
      expect(log.accepted).not.toHaveBeenCalled();
    });

    it('should still answer an accepted send when its record cannot be updated, so that nobody resends it', async () => {
      const { sut, log } = setUp();
      log.accepted.mockRejectedValueOnce(new Error('connection terminated'));

      await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).resolves.toMatchObject({
        id: SEND_ID,
        messageId: 'wamid.fake-1',
      });
    });

    it('should leave a send whose outcome is unknown UNKNOWN and name its ID in the problem', async () => {
      const { sut, meta, log } = setUp();
      meta.failNext(
        'sendTemplateMessage',
        new MetaGatewayException(MetaGatewayErrorCode.OUTCOME_UNKNOWN, 'timed out', { httpStatus: null }),
      );

      await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).rejects.toMatchObject({
        code: ErrorCode.SEND_OUTCOME_UNKNOWN,
        extras: { meta: { id: SEND_ID } },
      });

      expect(log.refused).not.toHaveBeenCalled();
      expect(log.accepted).not.toHaveBeenCalled();
    });

    it('should refuse an opted-out recipient before recording or calling Meta', async () => {
      const { sut, meta, log } = setUp({
        holds: [{ kind: MarketingHoldKind.OPTED_OUT, until: null, reasonCode: 131050 }],
      });

      await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).rejects.toMatchObject({
        code: ErrorCode.RECIPIENT_OPTED_OUT,
        extras: { errors: [{ field: 'to' }] },
      });

      expect(meta.calls).toEqual([]);
      expect(log.record).not.toHaveBeenCalled();
    });

    it('should refuse a paused recipient with the seconds left as Retry-After', async () => {
      const until = new Date(Date.now() + 3_600_000);
      const { sut, meta } = setUp({ holds: [{ kind: MarketingHoldKind.PAUSED, until, reasonCode: 131049 }] });

      const refusal = sut.send(ORG, PHONE_ID, { recipient: 'GB.1349', template: INPUT.template }, ACTOR);

      await expect(refusal).rejects.toMatchObject({
        code: ErrorCode.RECIPIENT_PAUSED,
        extras: { errors: [{ field: 'recipient' }], retryAfterSeconds: expect.any(Number) },
      });
      const seconds = ((await refusal.catch((error: unknown) => error)) as { extras: { retryAfterSeconds: number } })
        .extras.retryAfterSeconds;
      expect(seconds).toBeGreaterThan(3_500);
      expect(seconds).toBeLessThanOrEqual(3_600);
      expect(meta.calls).toEqual([]);
    });
  });
});
