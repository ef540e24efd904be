import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { sendJsonText } from 'src/common/http/json-answer';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { ListWabasQueryDto } from './dto/list-wabas-query.dto';
import { WabaDetailResponseDto } from './dto/waba-detail-response.dto';
import { WabaListResponseDto } from './dto/waba-response.dto';
import { WabasService } from './wabas.service';

/** The WABA accounts page. */
@ApiTags('WABAs')
@ApiBearerAuth()
@Controller('api/v1/wabas')
export class WabasController {
  constructor(private readonly wabas: WabasService) {}

  @Get()
  @ApiOperation({ summary: "List the organization's WABAs (WABA ID, name, status, MM Lite, associated numbers)" })
  @ApiOkResponse({ type: WabaListResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ...COMMON_KEY_ROUTE_PROBLEMS)
  async list(
    @CurrentOrganizationId() organizationId: string,
    @Query() query: ListWabasQueryDto,
    @Res() response: Response,
  ): Promise<void> {
    sendJsonText(response, await this.wabas.listJson(organizationId, query));
  }

  @Get(':wabaId')
  @ApiOperation({ summary: 'One WABA with its Meta fields, health, MM Lite state and account alerts' })
  @ApiOkResponse({ type: WabaDetailResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  async get(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: WabaIdParamDto,
    @Res() response: Response,
  ): Promise<void> {
    sendJsonText(response, await this.wabas.detailJson(organizationId, params.wabaId));
  }
}
