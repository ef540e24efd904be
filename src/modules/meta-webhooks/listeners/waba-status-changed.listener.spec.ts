import type { EntityManager } from '@mikro-orm/postgresql';

import type { PhoneNumber } from 'src/modules/phone-numbers/phone-number.entity';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import type { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';
import { ChangeSource, WabaStatus } from 'src/modules/wabas/wabas.constants';

import { DISABLED_WABA_CHANNEL_ACTOR, WabaStatusChangedListener } from './waba-status-changed.listener';

describe(WabaStatusChangedListener.name, () => {
  let sut: WabaStatusChangedListener;
  let phoneNumbers: jest.Mocked<Pick<PhoneNumbersService, 'list' | 'applyChange'>>;
  let stored: Map<string, { phoneNumberId: string; sendingChannel: SendingChannel }>;
  let setFilterParams: jest.Mock;

  const disabled = () =>
    new WabaStatusChangedEvent(
      'org-1',
      '1001',
      { status: WabaStatus.ACTIVE, statusReason: null },
      { status: WabaStatus.DISABLED, statusReason: 'BANNED' },
      ChangeSource.WEBHOOK,
    );

  beforeEach(() => {
    stored = new Map([
      ['2001', { phoneNumberId: '2001', sendingChannel: SendingChannel.MM_LITE }],
      ['2002', { phoneNumberId: '2002', sendingChannel: SendingChannel.MM_LITE }],
      ['2003', { phoneNumberId: '2003', sendingChannel: SendingChannel.CLOUD_API }],
    ]);
    phoneNumbers = {
      list: jest.fn((_organizationId: string, query: { sendingChannel?: SendingChannel; cursor?: string }) => {
        // Keyset pages of one, like the service (phoneNumberId > cursor), to exercise the cursor loop.
        const matching = [...stored.values()].filter(
          (phone) =>
            phone.sendingChannel === query.sendingChannel && (!query.cursor || phone.phoneNumberId > query.cursor),
        );
        const data = matching.slice(0, 1) as unknown as PhoneNumber[];
        return Promise.resolve({ data, nextCursor: matching.length > 1 ? (matching[0]?.phoneNumberId ?? null) : null });
      }),
      applyChange: jest.fn(async (phoneNumberId, _context, mutate) => {
        const phone = stored.get(phoneNumberId) as unknown as PhoneNumber;
        await mutate(phone, {} as EntityManager);
        return phone;
      }),
    };
    setFilterParams = jest.fn();
    const em = { fork: jest.fn(() => em), setFilterParams } as unknown as EntityManager;
    sut = new WabaStatusChangedListener(em, phoneNumbers as unknown as PhoneNumbersService);
  });

  it('should switch every MM_LITE number of a disabled WABA back to CLOUD_API with the event source', async () => {
    await sut.handle(disabled());

    expect(phoneNumbers.list).toHaveBeenCalledWith('org-1', expect.objectContaining({ wabaId: '1001' }));
    expect(setFilterParams).toHaveBeenCalledWith('tenant', { organizationId: 'org-1' });
    expect([...stored.values()].map((phone) => phone.sendingChannel)).toEqual([
      SendingChannel.CLOUD_API,
      SendingChannel.CLOUD_API,
      SendingChannel.CLOUD_API,
    ]);
    expect(phoneNumbers.applyChange).toHaveBeenCalledWith(
      '2001',
      { source: ChangeSource.WEBHOOK, actor: DISABLED_WABA_CHANNEL_ACTOR },
      expect.any(Function),
    );
  });

  it('should be idempotent: the same event twice changes nothing the second time', async () => {
    await sut.handle(disabled());
    phoneNumbers.applyChange.mockClear();

    await sut.handle(disabled());

    expect(phoneNumbers.applyChange).not.toHaveBeenCalled();
  });

  it('should tell applyChange there is nothing to do when a number left MM_LITE meanwhile', async () => {
    phoneNumbers.list.mockResolvedValueOnce({ data: [stored.get('2003') as unknown as PhoneNumber], nextCursor: null });
    const results: unknown[] = [];
    phoneNumbers.applyChange.mockImplementationOnce(async (phoneNumberId, _context, mutate) => {
      results.push(await mutate(stored.get(phoneNumberId) as unknown as PhoneNumber, {} as EntityManager));
      return null;
    });

    await sut.handle(disabled());

    expect(results).toEqual([false]);
  });

  it('should only log a change that does not disable the WABA', async () => {
    await sut.handle(
      new WabaStatusChangedEvent(
        'org-1',
        '1001',
        { status: WabaStatus.ACTIVE, statusReason: null },
        { status: WabaStatus.ACTIVE, statusReason: 'SCHEDULED_FOR_DISABLE' },
        ChangeSource.WEBHOOK,
      ),
    );

    expect(phoneNumbers.list).not.toHaveBeenCalled();
    expect(stored.get('2001')?.sendingChannel).toBe(SendingChannel.MM_LITE);
  });

  it('should log and swallow a failure instead of throwing into the emitter', async () => {
    phoneNumbers.list.mockRejectedValueOnce(new Error('database unavailable'));

    await expect(sut.handle(disabled())).resolves.toBeUndefined();
  });
});
