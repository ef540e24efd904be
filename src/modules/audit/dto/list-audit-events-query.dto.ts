import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';

import { META_ID_MESSAGE, META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';
import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { AuditEventType } from 'src/modules/audit/audit.constants';

/** Filters of GET /api/v1/audit-events. */
export class ListAuditEventsQueryDto extends PaginationQueryDto {
  /** Only records about this WABA. */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(META_ID_PATTERN, { message: `wabaId ${META_ID_MESSAGE}` })
  wabaId?: string;

  /** Only records about this phone number. */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(META_ID_PATTERN, { message: `phoneNumberId ${META_ID_MESSAGE}` })
  phoneNumberId?: string;

  /** Only records of this type. */
  @ApiPropertyOptional({ enum: AuditEventType, enumName: 'AuditEventType' })
  @IsOptional()
  @IsIn(Object.values(AuditEventType))
  type?: AuditEventType;
}
