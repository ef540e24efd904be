import { Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import {
  ApiProblemResponses,
  COMMON_KEY_ROUTE_PROBLEMS,
  META_CALL_PROBLEMS,
} from 'src/common/http/api-problem-responses.decorator';
import { WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentActor, CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';
import type { Actor } from 'src/modules/organizations/actor';
import { WabaDetailResponseDto } from 'src/modules/wabas/dto/waba-detail-response.dto';
import { WabaAlertsService } from 'src/modules/wabas/waba-alerts.service';

import { WabaSyncService } from './waba-sync.service';

/** On-demand re-sync of one WABA. */
@ApiTags('WABAs')
@ApiBearerAuth()
@Controller('api/v1/wabas')
export class SyncController {
  constructor(
    private readonly sync: WabaSyncService,
    private readonly alerts: WabaAlertsService,
  ) {}

  @Post(':wabaId/sync')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Re-read this WABA, its numbers and its MM Lite status from Meta now' })
  @ApiOkResponse({ type: WabaDetailResponseDto })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.NOT_FOUND,
    ...META_CALL_PROBLEMS,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  async syncWaba(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: WabaIdParamDto,
  ): Promise<WabaDetailResponseDto> {
    const waba = await this.sync.syncNow(organizationId, params.wabaId, actor, { checkWebhooks: true });
    return WabaDetailResponseDto.fromWaba(waba, await this.alerts.alertsOf(organizationId, params.wabaId));
  }
}
