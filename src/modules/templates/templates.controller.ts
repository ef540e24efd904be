import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { WabaIdParamDto } from 'src/common/http/meta-id-param.dto';
import { CurrentOrganizationId } from 'src/modules/organizations/auth.decorators';

import { ListTemplatesQueryDto } from './dto/list-templates-query.dto';
import { TemplateListResponseDto, TemplateResponseDto } from './dto/template-response.dto';
import { TemplatesService } from './templates.service';

/** A WABA's message templates. */
@ApiTags('Templates')
@ApiBearerAuth()
@Controller('api/v1/wabas/:wabaId/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  @ApiOperation({
    summary: "List a WABA's message templates (category, pending category, status, reason, quality)",
    description:
      'Read from Meta on connect and by re-sync rounds, kept fresh by template webhooks. `category` changes only ' +
      "on Meta's completed category change; an announced (impending) one shows as `pendingCategory`. Ordered by " +
      'template ID.',
  })
  @ApiOkResponse({ type: TemplateListResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  async list(
    @CurrentOrganizationId() organizationId: string,
    @Param() params: WabaIdParamDto,
    @Query() query: ListTemplatesQueryDto,
  ): Promise<TemplateListResponseDto> {
    const page = await this.templates.list(organizationId, params.wabaId, query);
    return { data: page.data.map((row) => TemplateResponseDto.fromRow(row)), nextCursor: page.nextCursor };
  }
}
