import { Injectable, Logger } from '@nestjs/common';

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
import { RecipientType } from './mm-lite.constants';
import { MarketingRegionRestrictedException } from './mm-lite.exception';
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
 * Meta's send errors to problems that say what to do.
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
  ) {}

  /**
   * Sends one marketing template; never retried (a repeat could deliver twice). A send whose answer was
   * lost after it left is `SEND_OUTCOME_UNKNOWN`, never an invitation to try again.
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
    await this.checkTemplate(waba, input.template);
    // A number switched to MM Lite whose WABA lost the onboarding sends through Cloud API, as Meta's own
    // CLOUD_API_FALLBACK would, but visibly: the answer names the channel actually used.
    const channel =
      phone.sendingChannel === SendingChannel.MM_LITE && waba.mmLiteStatus === MmLiteStatus.ONBOARDED
        ? SendingChannel.MM_LITE
        : SendingChannel.CLOUD_API;
    let sent: SentMessage;
    try {
      const token = await this.wabas.revealToken(waba);
      sent =
        channel === SendingChannel.MM_LITE
          ? await this.meta.sendMarketingMessage(phoneNumberId, recipient, input.template, token)
          : await this.meta.sendTemplateMessage(phoneNumberId, recipient, input.template, token);
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
        throw await this.reactToFailure(waba, error, channel, recipient, actor);
      }
      throw error;
    }
    // Meta advises keeping which endpoint each message went through; status webhooks tell where it landed.
    // The recipient stays out of the log: a number or a BSUID identifies a person.
    const recipientType = recipient.bsuid === undefined ? RecipientType.PHONE_NUMBER : RecipientType.BSUID;
    this.logger.log(
      `Marketing template ${input.template.name} sent from ${phoneNumberId} via ${channel} to a ${recipientType}: ${sent.messageId}`,
    );
    return {
      messageId: sent.messageId,
      channel,
      recipientType,
      recipient: recipient.bsuid === undefined ? { phone: recipient.phone } : { bsuid: recipient.bsuid },
    };
  }

  /**
   * Refuses a template the WABA's stored templates say Meta would refuse (422 TEMPLATE_NOT_SENDABLE), the
   * same for both channels. A WABA whose templates were never read is read once now, outside any
   * transaction, rather than refused blindly; if that read fails too, Meta decides.
   */
  private async checkTemplate(waba: WabaView, template: TemplateMessage): Promise<void> {
    let lookup = await this.templates.lookupForSend(waba.wabaId, template.name, template.language);
    if (lookup.templatesSyncedAt === null) {
      await this.templates.refreshWabaTemplates(waba.wabaId);
      lookup = await this.templates.lookupForSend(waba.wabaId, template.name, template.language);
      if (lookup.templatesSyncedAt === null) {
        return;
      }
    }
    const refusal = templateRefusal(lookup, template);
    if (refusal) {
      this.logger.log(
        `Marketing template ${template.name} (${template.language}) refused before Meta: ${refusal.refusal}`,
      );
      throw refusal;
    }
  }

  /** Brings the stored WABA in line with what the failure revealed, then returns the problem to answer. */
  private async reactToFailure(
    waba: WabaView,
    error: MetaGatewayException,
    channel: SendingChannel,
    recipient: MessageRecipient,
    actor: Actor,
  ): Promise<Error> {
    if (error.code === MetaGatewayErrorCode.AUTH_INVALID) {
      await this.wabas.markReauthRequired(waba.wabaId, { source: ChangeSource.API, actor });
      return new ReauthRequiredException(waba.wabaId);
    }
    if (error.metaCode !== null && ACCOUNT_STATE_SEND_ERRORS.has(error.metaCode)) {
      // Meta says the account is restricted: re-read it now so the list and the panel show why.
      await this.sync.syncInBackground(waba.wabaId, actor);
    }
    const problem = marketingSendProblem(error, channel, recipient.bsuid === undefined ? 'to' : 'recipient');
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
