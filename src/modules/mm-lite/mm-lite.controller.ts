import { Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
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

import { MmLitePanelResponseDto } from './dto/mm-lite-panel-response.dto';
import { MmLiteService } from './mm-lite.service';

/** The "Set up MM Lite" panel of a WABA row. */
@ApiTags('MM Lite')
@ApiBearerAuth()
@Controller('api/v1/wabas/:wabaId/mm-lite')
export class MmLiteController {
  constructor(private readonly mmLite: MmLiteService) {}

  @Get()
  @ApiOperation({
    summary: 'The MM Lite onboarding panel: the three steps, Meta status, numbers and region notice',
    description: 'Answers from what Meta last said (see lastCheckedAt); POST .../refresh reads Meta now.',
  })
  @ApiOkResponse({ type: MmLitePanelResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  getPanel(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: WabaIdParamDto,
  ): Promise<MmLitePanelResponseDto> {
    return this.mmLite.getPanel(organizationId, params.wabaId);
  }

  @Post('setup')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start MM Lite setup (the MM Lite column moves from the dash to NOT_ONBOARDED)',
    description:
      'Idempotent. The terms themselves are accepted by a portfolio admin in Meta Business Manager (actionUrl of ACCEPT_TERMS).',
  })
  @ApiOkResponse({ type: MmLitePanelResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  startSetup(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: WabaIdParamDto,
  ): Promise<MmLitePanelResponseDto> {
    return this.mmLite.startSetup(organizationId, params.wabaId, actor);
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Pull the MM Lite onboarding status (and terms status) from Meta now' })
  @ApiOkResponse({ type: MmLitePanelResponseDto })
  @ApiProblemResponses(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.NOT_FOUND,
    ...META_CALL_PROBLEMS,
    ...COMMON_KEY_ROUTE_PROBLEMS,
  )
  refresh(
    @CurrentOrganizationId() organizationId: string,
    @CurrentActor() actor: Actor,
    @Param() params: WabaIdParamDto,
  ): Promise<MmLitePanelResponseDto> {
    return this.mmLite.refresh(organizationId, params.wabaId, actor);
  }
}
