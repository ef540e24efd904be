import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { AuditService } from './audit.service';
import { AuditEventListResponseDto, AuditEventResponseDto } from './dto/audit-event-response.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events-query.dto';

/** The organization's audit trail. */
@ApiTags('Audit')
@ApiBearerAuth()
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Recorded changes, newest first (from the API, webhooks and the re-sync)' })
  @ApiOkResponse({ type: AuditEventListResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ...COMMON_KEY_ROUTE_PROBLEMS)
  async list(
    @CurrentOrganizationId() organizationId: string,
    @Query() query: ListAuditEventsQueryDto,
  ): Promise<AuditEventListResponseDto> {
    const page = await this.audit.list(organizationId, query);
    return { data: page.data.map((event) => AuditEventResponseDto.fromEntity(event)), nextCursor: page.nextCursor };
  }
}
