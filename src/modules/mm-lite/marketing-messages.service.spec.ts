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

import { MarketingMessagesService, type MarketingMessageInput } from './marketing-messages.service';
import { RecipientType } from './mm-lite.constants';

type StoredNumber = Awaited<ReturnType<PhoneNumbersService['getForOrganization']>>;

const ORG = 'org-1';
const WABA_ID = '102290129340398';
const PHONE_ID = '106540352242922';
const ACTOR = Actors.apiKey('key-1');
const INPUT: MarketingMessageInput = {
  to: '+447700900123',
  template: { name: 'spring_sale', language: 'en_US' },
};

/**
 * A send on fakes: Meta is the in-memory gateway; the owners of the number, the WABA and the sync are faked
 * at the public methods the send uses, recording what they were asked.
 */
function setUp({ sendingChannel = SendingChannel.CLOUD_API, connection = WabaConnection.CONNECTED } = {}) {
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
  const sut = new MarketingMessagesService(
    meta,
    wabas as unknown as WabasService,
    phoneNumbers as unknown as PhoneNumbersService,
    sync as unknown as WabaSyncService,
    templates as unknown as TemplatesService,
  );
  return { sut, meta, wabas, sync, templates };
}

describe(MarketingMessagesService.name, () => {
  it.each([
    [SendingChannel.CLOUD_API, 'sendTemplateMessage'],
    [SendingChannel.MM_LITE, 'sendMarketingMessage'],
  ] as const)('should send through %s with one %s call', async (channel, method) => {
    const { sut, meta } = setUp({ sendingChannel: channel });

    await expect(sut.send(ORG, PHONE_ID, INPUT, ACTOR)).resolves.toEqual({
      messageId: 'wamid.fake-1',
      channel,
      recipientType: RecipientType.PHONE_NUMBER,
      recipient: { phone: INPUT.to },
    });

    expect(meta.calls).toEqual([{ method, args: [PHONE_ID, { phone: INPUT.to }, INPUT.template, 'business-token'] }]);
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
        messageId: 'wamid.fake-1',
        channel,
        recipientType: RecipientType.BSUID,
        recipient: { bsuid: input.recipient },
      });

      expect(meta.calls).toEqual([
        { method, args: [PHONE_ID, { bsuid: input.recipient }, INPUT.template, 'business-token'] },
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
});
