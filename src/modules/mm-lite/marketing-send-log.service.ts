import { Injectable } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import type { ChangeContext } from 'src/modules/audit/change-context';

import { MarketingMessageStatus } from './mm-lite.constants';
import type { MarketingPreferenceReport, MessageStatusReport, StatusesApplied } from './mm-lite.types';
import { MarketingMessage } from './sends/marketing-message.entity';
import { MarketingMessageRepository, type TakenStatuses } from './sends/marketing-message.repository';
import { type ActiveHold, MarketingRecipientHoldRepository } from './sends/marketing-recipient-hold.repository';
import { holdOfFailure, holdsOfPreferences, newestPerKey } from './sends/recipient-holds';

/** What a send is recorded with before its Graph call. */
export type MarketingSendRecord = ConstructorParameters<typeof MarketingMessage>[0];

/** A refusal of a send, as Meta gave it (or the gateway's reason when Meta was not reached). */
export interface MarketingSendRefusal {
  code: number | null;
  title: string | null;
  details: string | null;
}

/**
 * The one writer of `marketing_messages` and `marketing_recipient_holds`: records each send before its Graph
 * call, applies Meta's answer, its status webhooks and the users' marketing preferences, and says which
 * recipients are held. Status webhooks arrive in volume, so each change is applied set-based (one statement
 * for the statuses, one for the holds they set) and writes no audit record and no domain event per status:
 * the send's row is the record, and nothing in the service reacts to a status yet.
 */
@Injectable()
export class MarketingSendLogService {
  constructor(
    private readonly transactions: Transactions,
    private readonly messages: MarketingMessageRepository,
    private readonly holds: MarketingRecipientHoldRepository,
  ) {}

  /** Records a send about to go (status UNKNOWN, no message ID) and returns its ID; committed before the call. */
  async record(send: MarketingSendRecord): Promise<string> {
    const row = new MarketingMessage(send);
    await this.transactions.run((em) => {
      em.persist(row);
      return Promise.resolve();
    });
    return row.id;
  }

  /**
   * Meta accepted the send with `messageId`. If a status webhook already reconciled that message ID to an
   * older unanswered send to the same recipient (see MarketingMessageRepository.applyStatuses), the ID and
   * its statuses move to this send, and that one is UNKNOWN again.
   */
  async accepted(id: string, messageId: string): Promise<void> {
    await this.transactions.run(async () => {
      const taken = await this.messages.takeMessageId(messageId, id);
      const send = await this.messages.markAccepted(id, messageId);
      if (taken && send) {
        await this.applyInTransaction(send.wabaId, send.phoneNumberId, statusesOf(messageId, taken));
      }
    });
  }

  /** Meta refused the send (or it cannot have left): FAILED, and the hold a 131049 or 131050 sets. */
  async refused(id: string, refusal: MarketingSendRefusal, at: Date): Promise<void> {
    await this.transactions.run(async () => {
      const send = await this.messages.markRefused(id, refusal, at);
      const hold = send ? holdOfFailure(send) : null;
      if (hold) {
        await this.holds.record([hold]);
      }
    });
  }

  /** The holds in force on a send from the WABA to the recipient, OPTED_OUT first. */
  async activeHolds(organizationId: string, wabaId: string, recipient: string, now: Date): Promise<ActiveHold[]> {
    return this.holds.activeHolds(organizationId, wabaId, recipient, now);
  }

  /**
   * Applies the `statuses[]` of one `messages` change of the WABA's number `phoneNumberId` (see
   * MarketingMessageRepository.applyStatuses for the matching and the order rules) and the holds their
   * failures set, in the caller's transaction or one of its own. Statuses of messages this service did not
   * send are ignored.
   */
  async applyStatuses(
    wabaId: string,
    phoneNumberId: string,
    statuses: readonly MessageStatusReport[],
    context: ChangeContext,
  ): Promise<StatusesApplied> {
    if (statuses.length === 0) {
      return { matched: 0, ignored: 0 };
    }
    return this.transactions.run(async (em) => {
      await context.fence?.(em);
      return this.applyInTransaction(wabaId, phoneNumberId, statuses);
    });
  }

  /**
   * Applies `user_preferences` about marketing messages of the WABA (of `organizationId`): a stop holds the
   * recipient OPTED_OUT, a resume clears it; a fact older than the one the hold shows changes nothing.
   */
  async applyPreferences(
    organizationId: string,
    wabaId: string,
    reports: readonly MarketingPreferenceReport[],
    context: ChangeContext,
  ): Promise<void> {
    await this.transactions.run(async (em) => {
      await context.fence?.(em);
      await this.holds.record(newestPerKey(holdsOfPreferences(organizationId, wabaId, reports)));
    });
  }

  private async applyInTransaction(
    wabaId: string,
    phoneNumberId: string,
    statuses: readonly MessageStatusReport[],
  ): Promise<StatusesApplied> {
    const targets = await this.messages.applyStatuses(wabaId, phoneNumberId, statuses);
    const holds = targets.map(holdOfFailure).filter((hold) => hold !== null);
    await this.holds.record(newestPerKey(holds));
    const applied = new Set(targets.map((target) => target.messageId));
    const matched = statuses.filter((status) => applied.has(status.messageId)).length;
    return { matched, ignored: statuses.length - matched };
  }
}

/** The statuses a send had been given, to give them to another one. */
function statusesOf(messageId: string, taken: TakenStatuses): MessageStatusReport[] {
  const base = { messageId, callbackData: null, recipients: [], pricingCategory: taken.pricingCategory };
  const statuses: MessageStatusReport[] = [];
  const add = (status: MarketingMessageStatus, at: Date | null) => {
    if (at) {
      statuses.push({ ...base, status, at, error: null });
    }
  };
  add(MarketingMessageStatus.SENT, taken.metaSentAt);
  add(MarketingMessageStatus.DELIVERED, taken.deliveredAt);
  add(MarketingMessageStatus.READ, taken.readAt);
  if (taken.failedAt && taken.failureCode !== null) {
    statuses.push({
      ...base,
      status: MarketingMessageStatus.FAILED,
      at: taken.failedAt,
      error: { code: taken.failureCode, title: taken.failureTitle, details: taken.failureDetails },
    });
  }
  return statuses;
}
