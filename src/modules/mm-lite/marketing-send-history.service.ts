import { Injectable } from '@nestjs/common';

import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { decodeCursor, type Page } from 'src/common/http/pagination';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { explainMarketingFailure } from './marketing-send-failure';
import {
  MARKETING_SUMMARY_TOP_FAILURES,
  MARKETING_SUMMARY_WINDOW_MS,
  MarketingMessageStatus,
  RecipientType,
} from './mm-lite.constants';
import type { MarketingMessageFailure, MarketingMessageView } from './mm-lite.types';
import {
  type MarketingMessageCounts,
  MarketingMessageHistoryRepository,
  type MarketingMessageListQuery,
  type MarketingMessageRow,
} from './sends/marketing-message-history.repository';

/** A recorded send with what the contract's `MarketingMessage` leaves out: each status's time, pricing, sender. */
export interface MarketingMessageDetails extends MarketingMessageView {
  /** Meta's time of the status applied; null while UNKNOWN or ACCEPTED. */
  statusAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  pricingCategory: string | null;
  sentBy: string;
}

/** A failure code of a summary: how often, and what it means. */
export interface MarketingFailureCount {
  code: number;
  title: string | null;
  reason: string;
  action: string;
  count: number;
}

/** The sends of a number or a WABA made in [since, until). */
export interface MarketingSendSummary {
  since: Date;
  until: Date;
  total: number;
  /** Every status, zero included. */
  byStatus: Record<MarketingMessageStatus, number>;
  /** The most frequent failure codes, most frequent first. */
  topFailures: MarketingFailureCount[];
}

/**
 * What became of marketing sends, as the API shows it: a number's sends newest first, one send, and the
 * last 24 h's counts of a number or a WABA, each explained with the failure table. Reads only; the sends are
 * recorded and updated by the send and the status webhooks. Scoped to the caller's organization: another
 * organization's number, WABA or send is a 404 like a missing one.
 */
@Injectable()
export class MarketingSendHistoryService {
  constructor(
    private readonly history: MarketingMessageHistoryRepository,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly wabas: WabasService,
  ) {}

  /** One page of the number's sends, newest first (404 for another organization's number). */
  async list(
    organizationId: string,
    phoneNumberId: string,
    query: MarketingMessageListQuery,
  ): Promise<Page<MarketingMessageDetails>> {
    if (query.cursor) {
      // A bad cursor is the request's fault whatever the number: 400 naming it before any lookup.
      decodeCursor(query.cursor, ['timestamp', 'uuid']);
    }
    await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    const page = await this.history.page(organizationId, phoneNumberId, query);
    return { data: page.data.map(detailsOf), nextCursor: page.nextCursor };
  }

  /** One send of the organization by our ID (404 otherwise). */
  async get(organizationId: string, id: string): Promise<MarketingMessageDetails> {
    const row = await this.history.findOne(organizationId, id);
    if (!row) {
      throw new NotFoundDomainException('Marketing message', id);
    }
    return detailsOf(row);
  }

  /** The number's sends of the last 24 h before `now` (404 for another organization's number). */
  async numberSummary(organizationId: string, phoneNumberId: string, now = new Date()): Promise<MarketingSendSummary> {
    await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    const since = new Date(now.getTime() - MARKETING_SUMMARY_WINDOW_MS);
    const counts = await this.history.countsOfNumber(
      organizationId,
      phoneNumberId,
      since,
      now,
      MARKETING_SUMMARY_TOP_FAILURES,
    );
    return summaryOf(since, now, counts);
  }

  /** The sends of all the WABA's numbers in the last 24 h before `now` (404 for another organization's WABA). */
  async wabaSummary(organizationId: string, wabaId: string, now = new Date()): Promise<MarketingSendSummary> {
    await this.wabas.getForOrganization(organizationId, wabaId);
    const since = new Date(now.getTime() - MARKETING_SUMMARY_WINDOW_MS);
    const counts = await this.history.countsOfWaba(organizationId, wabaId, since, now, MARKETING_SUMMARY_TOP_FAILURES);
    return summaryOf(since, now, counts);
  }
}

function detailsOf(row: MarketingMessageRow): MarketingMessageDetails {
  const recipientType = row.recipientType as RecipientType;
  return {
    id: row.id,
    messageId: row.messageId,
    phoneNumberId: row.phoneNumberId,
    wabaId: row.wabaId,
    channel: row.channel as MarketingMessageView['channel'],
    template: { name: row.templateName, language: row.templateLanguage, category: row.templateCategory },
    recipient:
      recipientType === RecipientType.BSUID
        ? { bsuid: row.recipient, countryCallingCode: null }
        : { phone: row.recipient, countryCallingCode: row.recipientCountryCallingCode },
    recipientType,
    status: row.status,
    failure: failureOf(row),
    sentAt: row.createdAt,
    updatedAt: row.updatedAt,
    statusAt: row.statusAt,
    deliveredAt: row.deliveredAt,
    readAt: row.readAt,
    failedAt: row.failedAt,
    pricingCategory: row.pricingCategory,
    sentBy: row.sentBy,
  };
}

function failureOf(row: MarketingMessageRow): MarketingMessageFailure | null {
  if (row.failureCode === null && row.status !== MarketingMessageStatus.FAILED) {
    return null;
  }
  return explainMarketingFailure(row.failureCode, row.failureTitle, row.failureDetails);
}

function summaryOf(since: Date, until: Date, counts: MarketingMessageCounts): MarketingSendSummary {
  const byStatus = Object.fromEntries(
    Object.values(MarketingMessageStatus).map((status) => [status, counts.byStatus[status] ?? 0]),
  ) as Record<MarketingMessageStatus, number>;
  return {
    since,
    until,
    total: Object.values(byStatus).reduce((sum, count) => sum + count, 0),
    byStatus,
    topFailures: counts.topFailures.map((failure) => {
      const { reason, action } = explainMarketingFailure(failure.code, failure.title, failure.details);
      return { code: failure.code, title: failure.title, reason, action, count: failure.count };
    }),
  };
}
