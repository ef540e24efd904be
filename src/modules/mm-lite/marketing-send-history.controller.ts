import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { PhoneNumberIdParamDto, WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { UuidParamDto } from 'src/common/http/uuid-param.dto';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { ListMarketingMessagesQueryDto } from './dto/list-marketing-messages-query.dto';
import {
  MarketingMessageDetailsResponseDto,
  MarketingMessageListResponseDto,
} from './dto/marketing-message-details-response.dto';
import { MarketingSendSummaryResponseDto } from './dto/marketing-send-summary-response.dto';
import { MarketingSendHistoryService } from './marketing-send-history.service';

const READ_PROBLEMS = [ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS];

/** What became of marketing sends: a number's sends, one send, and the last 24 h's counts. */
@ApiTags('Marketing messages')
@ApiBearerAuth()
@Controller('api/v1')
export class MarketingSendHistoryController {
  constructor(private readonly history: MarketingSendHistoryService) {}

  @Get('phone-numbers/:phoneNumberId/marketing-messages')
  @ApiOperation({
    summary: "A number's marketing sends, newest first",
    description:
      'Each send with its status from Meta (UNKNOWN until an unanswered send is settled by its status webhook) ' +
      'and, when it failed, the reason and what to do. `status` filters by status, `since` keeps sends made at or ' +
      'after that time. Sends are kept MARKETING_MESSAGES_RETENTION_DAYS (30 by default).',
  })
  @ApiOkResponse({ type: MarketingMessageListResponseDto })
  @ApiProblemResponses(...READ_PROBLEMS)
  async list(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: PhoneNumberIdParamDto,
    @Query() query: ListMarketingMessagesQueryDto,
  ): Promise<MarketingMessageListResponseDto> {
    const page = await this.history.list(organizationId, params.phoneNumberId, {
      status: query.status,
      since: query.since === undefined ? undefined : new Date(query.since),
      limit: query.limit,
      cursor: query.cursor,
    });
    return {
      data: page.data.map((send) => MarketingMessageDetailsResponseDto.fromDetails(send)),
      nextCursor: page.nextCursor,
    };
  }

  @Get('phone-numbers/:phoneNumberId/marketing-messages/summary')
  @ApiOperation({
    summary: "A number's marketing sends of the last 24 h: counts by status and the top failure reasons",
  })
  @ApiOkResponse({ type: MarketingSendSummaryResponseDto })
  @ApiProblemResponses(...READ_PROBLEMS)
  async numberSummary(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: PhoneNumberIdParamDto,
  ): Promise<MarketingSendSummaryResponseDto> {
    return MarketingSendSummaryResponseDto.fromSummary(
      await this.history.numberSummary(organizationId, params.phoneNumberId),
    );
  }

  @Get('wabas/:wabaId/marketing-messages/summary')
  @ApiOperation({
    summary:
      "A WABA's marketing sends of the last 24 h (all its numbers): counts by status and the top failure reasons",
  })
  @ApiOkResponse({ type: MarketingSendSummaryResponseDto })
  @ApiProblemResponses(...READ_PROBLEMS)
  async wabaSummary(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: WabaIdParamDto,
  ): Promise<MarketingSendSummaryResponseDto> {
    return MarketingSendSummaryResponseDto.fromSummary(await this.history.wabaSummary(organizationId, params.wabaId));
  }

  @Get('marketing-messages/:id')
  @ApiOperation({ summary: 'One marketing send by its ID (the `id` of the send answer)' })
  @ApiOkResponse({ type: MarketingMessageDetailsResponseDto })
  @ApiProblemResponses(...READ_PROBLEMS)
  async get(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: UuidParamDto,
  ): Promise<MarketingMessageDetailsResponseDto> {
    return MarketingMessageDetailsResponseDto.fromDetails(await this.history.get(organizationId, params.id));
  }
}
