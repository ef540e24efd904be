import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { TEMPLATE_QUERY_MAX_LENGTH, TemplateCategory, TemplateStatus } from 'src/modules/templates/templates.constants';

/** Filters of GET /api/v1/wabas/{wabaId}/templates. */
export class ListTemplatesQueryDto extends PaginationQueryDto {
  /** The category sends are routed by (a pending change does not count). */
  @ApiPropertyOptional({ enum: TemplateCategory, enumName: 'TemplateCategory' })
  @IsOptional()
  @IsIn(Object.values(TemplateCategory))
  category?: TemplateCategory;

  /** Meta's review status; only APPROVED templates can be sent. */
  @ApiPropertyOptional({ enum: TemplateStatus, enumName: 'TemplateStatus' })
  @IsOptional()
  @IsIn(Object.values(TemplateStatus))
  status?: TemplateStatus;

  /** Matches the template name (case-insensitive) or the template ID. */
  @ApiPropertyOptional({ maxLength: TEMPLATE_QUERY_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(TEMPLATE_QUERY_MAX_LENGTH)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'q must not contain control characters' })
  q?: string;
}
