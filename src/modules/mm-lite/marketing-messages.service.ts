import { Injectable, Logger } from '@nestjs/common';

import { describeError } from 'src/common/logging/describe-error';

import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { MessageRecipient, SentMessage, TemplateMessage } from 'src/modules/meta-gateway/meta-gateway.types';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { MmLiteStatus, WabaConnection, WabaStatus } from 'src/modules/wabas/wabas.constants';
import { ReauthRequiredException, WabaDisabledException } from 'src/modules/wabas/wabas.exception';
import { WabasService } from 'src/modules/wabas/wabas.service';
import { TemplatesService } from 'src/modules/templates/templates.service';

import { findMarketingRestriction, findMarketingRestrictionForRegion } from './marketing-regions';
import {
  ACCOUNT_STATE_SEND_ERRORS,
  marketingSendProblem,
  STALE_TEMPLATE_SEND_ERRORS,
  withTemplatesRefreshed,
} from './marketing-send-failure';
import { MarketingSendLogService } from './marketing-send-log.service';
import { MarketingHoldKind, RecipientType } from './mm-lite.constants';
import {
  MarketingRegionRestrictedException,
  RecipientOptedOutException,
  RecipientPausedException,
} from './mm-lite.exception';
import { countryCallingCode } from './recipient-number';
import { templateRefusal } from './template-send-check';
import { ChangeSource } from 'src/modules/audit/change-context';
import type { Actor } from 'src/modules/organizations/actor';

/** A marketing template to send, to exactly one of a phone number and a business-scoped user ID. */
export interface MarketingMessageInput {
  /**
   * E.164 destination with `+` (`+447700900123`), as the send DTO normalises it: Meta reads a number
   * without `+` as national to the sending number's country (graph-api-2026 §A.9).
   */
  to?: string | null;
  /** A business-scoped user ID (`US.13491208655302741918`) as the send DTO validated it (§A.6). */
  recipient?: string | null;
  template: TemplateMessage;
}

/** An accepted send, the channel it went through and whom it was addressed to. */
export interface MarketingMessageResult {
  /** Our ID of the recorded send. */
  id: string;
  messageId: string;
  channel: SendingChannel;
  recipientType: RecipientType;
  recipient: { phone: string } | { bsuid: string };
}

/**
 * Sends marketing templates through a number's channel (product-spec §2.6–2.7): refuses what cannot
 * succeed before calling Meta (disabled WABA, rejected token, restricted destination region, a template the
 * stored templates say is missing, not APPROVED or not MARKETING), routes to
 * `/marketing_messages` for MM_LITE numbers of onboarded WABAs and to `/messages` otherwise, and maps
 * Meta's send errors to problems that say what to do. Every send that reaches the Graph call is recorded
 * first (MarketingSendLogService), and refused before Meta while its recipient is held (opted out, paused).
 */
@Injectable()
export class MarketingMessagesService {
  private readonly logger = new Logger(MarketingMessagesService.name);

  constructor(
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly sync: WabaSyncService,
    private readonly templates: TemplatesService,
    private readonly log: MarketingSendLogService,
  ) {}

  /**
   * Sends one marketing template; never retried (a repeat could deliver twice). A send whose answer was
   * lost after it left is `SEND_OUTCOME_UNKNOWN`, never an invitation to try again: its record stays UNKNOWN
   * until a status webhook settles it, and the problem names its ID.
   */
  async send(
    organizationId: string,
    phoneNumberId: string,
    input: MarketingMessageInput,
    actor: Actor,
  ): Promise<MarketingMessageResult> {
    const phone = await this.phoneNumbers.getForOrganization(organizationId, phoneNumberId);
    const waba = phone.waba;
    if (waba.status === WabaStatus.DISABLED) {
      throw new WabaDisabledException(waba.wabaId, waba.statusReason);
    }
    if (waba.connection === WabaConnection.REAUTH_REQUIRED) {
      throw new ReauthRequiredException(waba.wabaId);
    }
    const recipient = addressOf(input);
    const restriction =
      recipient.bsuid === undefined
        ? findMarketingRestriction(recipient.phone)
        : findMarketingRestrictionForRegion(recipient.bsuid.slice(0, 2));
    if (restriction) {
      throw new MarketingRegionRestrictedException(restriction, recipient.bsuid === undefined ? 'to' : 'recipient');
    }
    await this.checkHolds(organizationId, waba.wabaId, recipient);
    const templateCategory = await this.checkTemplate(waba, input.template);
    // A number switched to MM Lite whose WABA lost the onboarding sends through Cloud API, as Meta's own
    // CLOUD_API_FALLBACK would, but visibly: the answer names the channel actually used.
    const channel =
      phone.sendingChannel === SendingChannel.MM_LITE && waba.mmLiteStatus === MmLiteStatus.ONBOARDED
        ? SendingChannel.MM_LITE
        : SendingChannel.CLOUD_API;
    const token = await this.wabas.revealToken(waba);
    const recipientType = recipient.bsuid === undefined ? RecipientType.PHONE_NUMBER : RecipientType.BSUID;
    // Committed before the call, so that a crash during it leaves the send UNKNOWN, which is the truth.
    const id = await this.log.record({
      organizationId,
      wabaId: waba.wabaId,
      phoneNumberId,
      channel,
      templateName: input.template.name,
      templateLanguage: input.template.language,
      templateCategory,
      recipientType,
      recipient: recipient.bsuid ?? recipient.phone,
      recipientCountryCallingCode: recipient.bsuid === undefined ? countryCallingCode(recipient.phone) : null,
      recipientRegion: recipient.bsuid === undefined ? null : recipient.bsuid.slice(0, 2),
      sentBy: actor,
    });
    let sent: SentMessage;
    try {
      // Meta echoes `biz_opaque_callback_data` in the statuses, which then find the send without its
      // message ID; /marketing_messages does not take it (see sendTemplate).
      sent =
        channel === SendingChannel.MM_LITE
          ? await this.meta.sendMarketingMessage(phoneNumberId, recipient, input.template, token)
          : await this.meta.sendTemplateMessage(phoneNumberId, recipient, input.template, token, id);
    } catch (error) {
      if (error instanceof MetaGatewayException) {
        if (error.code === MetaGatewayErrorCode.OUTCOME_UNKNOWN) {
          // The only trace of a send that may have gone out: the request id of this line is what the
          // caller is told to follow it up by.
          this.logger.warn(
            `Marketing template ${input.template.name} from ${phoneNumberId} via ${channel}: outcome unknown, ` +
              `the message may have been sent (${error.message})`,
          );
        } else {
          this.logger.warn(
            `Marketing send from ${phoneNumberId} via ${channel} failed: ${error.code}${error.metaCode ? ` (#${error.metaCode})` : ''}`,
          );
        }
        if (error.code !== MetaGatewayErrorCode.OUTCOME_UNKNOWN) {
          const refusal = { code: error.metaCode, title: error.message.slice(0, 512), details: error.metaDetails };
          await this.keepRecord(id, 'FAILED', () => this.log.refused(id, refusal, new Date()));
        }
        throw await this.reactToFailure(waba, error, channel, recipient, actor, id);
      }
      // Not the gateway's: whether the POST left is not known, so the record stays UNKNOWN.
      throw error;
    }
    await this.keepRecord(id, 'ACCEPTED', () => this.log.accepted(id, sent.messageId));
    // Meta advises keeping which endpoint each message went through; status webhooks tell where it landed.
    // The recipient stays out of the log: a number or a BSUID identifies a person.
    this.logger.log(
      `Marketing template ${input.template.name} sent from ${phoneNumberId} via ${channel} to a ${recipientType}: ${sent.messageId}`,
    );
    return {
      id,
      messageId: sent.messageId,
      channel,
      recipientType,
      recipient: recipient.bsuid === undefined ? { phone: recipient.phone } : { bsuid: recipient.bsuid },
    };
  }

  /**
   * Writes the outcome of a send that has already happened at Meta. A failure to write it must not change the
   * answer (an error after Meta accepted would invite a resend, which could deliver twice): the record stays
   * UNKNOWN, which its status webhook settles, and the failure is logged.
   */
  private async keepRecord(id: string, outcome: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      // The error's type and code only: a driver message can quote the row's values (a recipient).
      const { type, code } = describeError(error);
      this.logger.warn(`Marketing send ${id}: recording it as ${outcome} failed (${type}${code ? ` ${code}` : ''})`);
    }
  }

  /**
   * Refuses a template the WABA's stored templates say Meta would refuse (422 TEMPLATE_NOT_SENDABLE), the
   * same for both channels. A WABA whose templates were never read is read once now, outside any
   * transaction, rather than refused blindly; if that read fails too, Meta decides.
   */
  private async checkTemplate(waba: WabaView, template: TemplateMessage): Promise<string | null> {
    let lookup = await this.templates.lookupForSend(waba.wabaId, template.name, template.language);
    if (lookup.templatesSyncedAt === null) {
      await this.templates.refreshWabaTemplates(waba.wabaId);
      lookup = await this.templates.lookupForSend(waba.wabaId, template.name, template.language);
      if (lookup.templatesSyncedAt === null) {
        return null;
      }
    }
    const refusal = templateRefusal(lookup, template);
    if (refusal) {
      this.logger.log(
        `Marketing template ${template.name} (${template.language}) refused before Meta: ${refusal.refusal}`,
      );
      throw refusal;
    }
    return lookup.template?.category ?? null;
  }

  /**
   * Refuses a send to a recipient the WABA's sends are held for: 422 RECIPIENT_OPTED_OUT (until the user
   * resumes) or 422 RECIPIENT_PAUSED with Retry-After (until 24 h after Meta's 131049).
   */
  private async checkHolds(organizationId: string, wabaId: string, recipient: MessageRecipient): Promise<void> {
    const now = new Date();
    const field = recipient.bsuid === undefined ? 'to' : 'recipient';
    const [hold] = await this.log.activeHolds(organizationId, wabaId, recipient.bsuid ?? recipient.phone, now);
    if (hold?.kind === MarketingHoldKind.OPTED_OUT) {
      throw new RecipientOptedOutException(wabaId, field);
    }
    if (hold?.kind === MarketingHoldKind.PAUSED && hold.until) {
      throw new RecipientPausedException(hold.until, now, field);
    }
  }

  /** Brings the stored WABA in line with what the failure revealed, then returns the problem to answer. */
  private async reactToFailure(
    waba: WabaView,
    error: MetaGatewayException,
    channel: SendingChannel,
    recipient: MessageRecipient,
    actor: Actor,
    sendId: string,
  ): Promise<Error> {
    if (error.code === MetaGatewayErrorCode.AUTH_INVALID) {
      await this.wabas.markReauthRequired(waba.wabaId, { source: ChangeSource.API, actor });
      return new ReauthRequiredException(waba.wabaId);
    }
    if (error.metaCode !== null && ACCOUNT_STATE_SEND_ERRORS.has(error.metaCode)) {
      // Meta says the account is restricted: re-read it now so the list and the panel show why.
      await this.sync.syncInBackground(waba.wabaId, actor);
    }
    const problem = marketingSendProblem(error, channel, recipient.bsuid === undefined ? 'to' : 'recipient', sendId);
    if (
      error.code !== MetaGatewayErrorCode.OUTCOME_UNKNOWN &&
      error.metaCode !== null &&
      STALE_TEMPLATE_SEND_ERRORS.has(error.metaCode)
    ) {
      // Meta's answer is newer evidence than the table: read the templates again (outside any transaction)
      // so the next send is refused before Meta. The send itself is not repeated.
      const outcome = await this.templates.refreshWabaTemplates(waba.wabaId);
      return withTemplatesRefreshed(problem, outcome === 'SYNCED');
    }
    return problem;
  }
}

/**
 * The one recipient of a send. The DTO lets exactly one through; a caller that bypasses it with both is a
 * bug, refused here rather than sent, since Meta would let `to` win and drop the BSUID silently.
 */
function addressOf(input: MarketingMessageInput): MessageRecipient {
  // JSON null counts as left out, as the DTO reads it.
  const to = input.to ?? undefined;
  const bsuid = input.recipient ?? undefined;
  if (to !== undefined && bsuid === undefined) {
    return { phone: to };
  }
  if (bsuid !== undefined && to === undefined) {
    return { bsuid };
  }
  throw new Error('A marketing send needs exactly one of to and recipient');
}
