import type { EntityManager } from '@mikro-orm/postgresql';

import type { Transactions } from 'src/common/events/transactions';
import { FakeTransactions } from 'test/fakes/fake-transactions';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';

import { PhoneNumberUpdatedEvent } from './events/phone-number-updated.event';
import { SendingChannelChangedEvent } from './events/sending-channel-changed.event';
import { PhoneNumberChanges } from './phone-number-changes';
import { PhoneNumber } from './phone-number.entity';
import type { PhoneNumberRepository } from './phone-number.repository';
import { PhoneNumberChangeOutcome, SendingChannel } from './phone-numbers.constants';
import { PhoneNumbersService } from './phone-numbers.service';

type AuditEvent = ReturnType<AuditService['record']>;
type Waba = PhoneNumber['waba'];

const ORGANIZATION = { id: 'org-1' };
const WABA = { id: 'waba-row-1', wabaId: '102290129340398', organization: ORGANIZATION } as unknown as Waba;
const WEBHOOK: ChangeContext = { source: ChangeSource.WEBHOOK, actor: 'meta-webhook' };
const RECEIVED = new Date('2026-03-01T10:00:00Z');
const LATER = new Date('2026-03-01T10:05:00Z');

function number(phoneNumberId: string, overrides: Partial<PhoneNumber> = {}): PhoneNumber {
  return Object.assign(new PhoneNumber(ORGANIZATION as never, WABA, phoneNumberId, 'sealed'), overrides);
}

/**
 * The owner's transitions on fakes: a "transaction" that runs the work at once, a unit of work that
 * collects what is persisted, and a repository whose row locks hand out the numbers given.
 */
function setUp(stored: PhoneNumber[]) {
  const persisted: AuditEvent[] = [];
  // The audit joins the running transaction: a fake one is always open here.
  const em = {
    persist: (entity: AuditEvent) => persisted.push(entity),
    getTransactionContext: () => ({}),
  } as unknown as EntityManager;
  const transactions = new FakeTransactions(em);
  const repository = {
    getEntityManager: () => em,
    lock: jest.fn(({ phoneNumberId }: { phoneNumberId: string }) =>
      Promise.resolve(stored.find((phone) => phone.phoneNumberId === phoneNumberId) ?? null),
    ),
    lockOnChannel: jest.fn((_wabaRowId: string, channel: SendingChannel) =>
      Promise.resolve(stored.filter((phone) => phone.sendingChannel === channel)),
    ),
    // The stored numbers stand for their rows: they carry every field a read is applied to.
    lockForSync: jest.fn((ids: string[], wabas: Array<{ id: string }>) =>
      Promise.resolve(
        stored.filter((phone) => ids.includes(phone.phoneNumberId) && wabas.some((waba) => waba.id === phone.waba.id)),
      ),
    ),
    syncedFieldsWrite: jest.fn(() => null),
    wabaIdsOf: jest.fn(() => Promise.resolve(new Map<string, string>())),
  } as unknown as PhoneNumberRepository;
  const sut = new PhoneNumbersService(
    repository,
    new PhoneNumberChanges(new AuditService(em, transactions as unknown as Transactions)),
    transactions as unknown as Transactions,
    null as never,
    null as never,
  );
  return { sut, persisted, queued: transactions.published };
}

describe(PhoneNumbersService.name, () => {
  describe('applyNameDecision', () => {
    it('should apply the decision under the fence, audit it and queue its event', async () => {
      const phone = number('106540352242922', { nameStatus: 'PENDING_REVIEW', verifiedName: 'Old' });
      const { sut, persisted, queued } = setUp([phone]);
      const fence = jest.fn(() => Promise.resolve());

      const outcome = await sut.applyNameDecision(
        phone.phoneNumberId,
        { nameStatus: 'APPROVED', verifiedName: 'Jasper Bakery' },
        RECEIVED,
        { ...WEBHOOK, fence },
      );

      expect(outcome).toBe(PhoneNumberChangeOutcome.APPLIED);
      expect(fence).toHaveBeenCalledTimes(1);
      expect(phone).toMatchObject({ nameStatus: 'APPROVED', nameStatusAsOf: RECEIVED, lastWebhookAt: RECEIVED });
      expect(persisted).toEqual([
        expect.objectContaining({
          type: AuditEventType.PHONE_NUMBER_UPDATED,
          source: ChangeSource.WEBHOOK,
          actor: 'meta-webhook',
          before: { verifiedName: 'Old', nameStatus: 'PENDING_REVIEW' },
          after: { verifiedName: 'Jasper Bakery', nameStatus: 'APPROVED' },
        }),
      ]);
      expect(queued).toEqual([expect.any(PhoneNumberUpdatedEvent)]);
    });

    it('should answer STALE and change nothing for a decision older than the name status', async () => {
      const phone = number('106540352242922', { nameStatus: 'APPROVED', nameStatusAsOf: LATER });
      const { sut, persisted, queued } = setUp([phone]);

      const outcome = await sut.applyNameDecision(
        phone.phoneNumberId,
        { nameStatus: 'DECLINED', verifiedName: null },
        RECEIVED,
        WEBHOOK,
      );

      expect(outcome).toBe(PhoneNumberChangeOutcome.STALE);
      expect(phone).toMatchObject({ nameStatus: 'APPROVED', lastWebhookAt: null });
      expect(persisted).toEqual([]);
      expect(queued).toEqual([]);
    });

    it('should answer UNKNOWN for a number gone before its lock', async () => {
      const { sut } = setUp([]);

      await expect(
        sut.applyNameDecision('106540352242922', { nameStatus: 'APPROVED', verifiedName: null }, RECEIVED, WEBHOOK),
      ).resolves.toBe(PhoneNumberChangeOutcome.UNKNOWN);
    });
  });

  describe('recordQualityNotice', () => {
    it('should record the webhook time without auditing anything, the values coming from the re-read', async () => {
      const phone = number('106540352242922', { qualityRating: 'GREEN' });
      const { sut, persisted } = setUp([phone]);

      await expect(sut.recordQualityNotice(phone.phoneNumberId, RECEIVED, WEBHOOK)).resolves.toBe(
        PhoneNumberChangeOutcome.APPLIED,
      );

      expect(phone).toMatchObject({ qualityRating: 'GREEN', lastWebhookAt: RECEIVED, qualityAsOf: null });
      expect(persisted).toEqual([]);
    });
  });

  describe('leaveMmLite', () => {
    it("should switch the disabled WABA's MM_LITE numbers back to CLOUD_API as the rule", async () => {
      const onMmLite = number('106540352242922', { sendingChannel: SendingChannel.MM_LITE });
      const onCloudApi = number('106540352242923');
      const { sut, persisted, queued } = setUp([onMmLite, onCloudApi]);

      // As WabasService.whenDisabled tells its rules about the WABA.
      const disabled = { id: WABA.id, wabaId: WABA.wabaId, organizationId: ORGANIZATION.id };
      await sut.leaveMmLite(disabled, {
        source: ChangeSource.WEBHOOK,
        actor: 'meta-webhook',
        occurredAt: RECEIVED,
      });

      expect(onMmLite.sendingChannel).toBe(SendingChannel.CLOUD_API);
      expect(persisted).toEqual([
        expect.objectContaining({
          type: AuditEventType.SENDING_CHANNEL_CHANGED,
          phoneNumberId: onMmLite.phoneNumberId,
          source: ChangeSource.WEBHOOK,
          actor: 'system:waba-disabled',
          occurredAt: RECEIVED,
          before: { sendingChannel: SendingChannel.MM_LITE },
          after: { sendingChannel: SendingChannel.CLOUD_API },
        }),
      ]);
      expect(queued).toEqual([expect.any(SendingChannelChangedEvent)]);
    });
  });

  describe('applyReadings', () => {
    it('should apply each snapshot only to the number stored under the WABA that read it', async () => {
      const mine = number('106540352242922', { qualityRating: 'GREEN' });
      const { sut, queued } = setUp([mine]);
      const elsewhere = { id: 'waba-row-2', wabaId: '102290129340399', organizationId: 'org-2' };

      await sut.applyReadings(
        [
          {
            waba: { id: WABA.id, wabaId: WABA.wabaId, organizationId: ORGANIZATION.id },
            snapshots: [{ id: mine.phoneNumberId, qualityRating: 'RED' }],
            observedAt: RECEIVED,
          },
          { waba: elsewhere, snapshots: [{ id: mine.phoneNumberId, qualityRating: 'YELLOW' }], observedAt: LATER },
        ],
        { source: ChangeSource.SYNC, actor: 'system' },
      );

      expect(mine).toMatchObject({ qualityRating: 'RED', qualityAsOf: RECEIVED });
      expect(queued).toEqual([expect.any(PhoneNumberUpdatedEvent)]);
    });
  });
});
