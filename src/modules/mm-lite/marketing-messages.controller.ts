import { Body, Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import {
  ApiProblemResponses,
  COMMON_KEY_ROUTE_PROBLEMS,
  META_CALL_PROBLEMS,
} from 'src/common/http/api-problem-responses.decorator';
import { PhoneNumberIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentActor, CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';
import type { Actor } from 'src/modules/organizations/actor';

import { MarketingMessageResponseDto } from './dto/marketing-message-response.dto';
import { SendMarketingMessageDto } from './dto/send-marketing-message.dto';
import { MarketingMessagesService } from './marketing-messages.service';

/** Marketing template sends through the number's sending channel. */
@ApiTags('Phone numbers')
@ApiBearerAuth()
@Controller('api/v1/phone-numbers/:phoneNumberId/marketing-messages')
export class MarketingMessagesController {
  constructor(private readonly marketingMessages: MarketingMessagesService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: "Send a marketing template through the number's channel (MM Lite or Cloud API)",
    description:
      'MM_LITE numbers of onboarded WABAs send through /marketing_messages, others through /messages. ' +
      'The recipient is either `to` (a phone number) or `recipient` (a business-scoped user ID), never both; ' +
      'the answer says which was used (`recipientType`, `recipient`). ' +
      'Destinations in restricted regions (US +1 since April 2025) are refused before Meta is called, and so ' +
      'is a template the stored templates say is missing in that language, not APPROVED or not MARKETING ' +
      '(422 TEMPLATE_NOT_SENDABLE; the detail says which). ' +
      'A recipient who stopped marketing messages from this WABA (Meta error 131050, or a user_preferences ' +
      'stop) is refused before Meta with 422 RECIPIENT_OPTED_OUT until a user_preferences resume arrives; one ' +
      'Meta limited (131049) with 422 RECIPIENT_PAUSED and Retry-After for 24 h from the failure. ' +
      'Every send that reaches Meta is recorded: the answer carries its `id`; delivery is reported later by ' +
      'status webhooks, which update the record. Never resend after 504 SEND_OUTCOME_UNKNOWN: the message ' +
      'may have gone (the problem names its `id`, UNKNOWN until a status webhook settles it); ' +
      '502 META_UNAVAILABLE means it did not and can be sent again later.',
  })
  @ApiAcceptedResponse({ type: MarketingMessageResponseDto })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.NOT_FOUND,
    ErrorCode.WABA_DISABLED,
    ErrorCode.WABA_RESTRICTED,
    ErrorCode.MM_LITE_NOT_ONBOARDED,
    ErrorCode.MARKETING_DISABLED_ON_CLOUD_API,
    ErrorCode.TEMPLATE_REQUIRES_MM_LITE,
    ErrorCode.TEMPLATE_NOT_YET_SYNCED,
    ErrorCode.MARKETING_REGION_RESTRICTED,
    ErrorCode.MARKETING_PER_USER_LIMIT,
    ErrorCode.RECIPIENT_OPTED_OUT,
    ErrorCode.RECIPIENT_PAUSED,
    ErrorCode.TEMPLATE_NOT_SENDABLE,
    ErrorCode.TEMPLATE_NOT_MARKETING,
    ErrorCode.RECIPIENT_TYPE_NOT_SUPPORTED,
    ErrorCode.SEND_OUTCOME_UNKNOWN,
    ...META_CALL_PROBLEMS,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  send(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: PhoneNumberIdParamDto,
    @Body() body: SendMarketingMessageDto,
  ): Promise<MarketingMessageResponseDto> {
    return this.marketingMessages.send(organizationId, params.phoneNumberId, body, actor);
  }
}
