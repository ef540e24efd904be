import { ApiProperty } from '@nestjs/swagger';

import type { TemplateRow } from 'src/modules/templates/templates.service';

/** One message template of a WABA, as Meta last reported it. */
export class TemplateResponseDto {
  /** Meta's template ID. */
  @ApiProperty({ example: '1304694804498707' })
  templateId: string;

  @ApiProperty({ example: 'coupon_expiration_reminder_number_vars' })
  name: string;

  /** Meta's language code (`en_US`). */
  @ApiProperty({ example: 'en' })
  language: string;

  /** MARKETING, UTILITY or AUTHENTICATION as Meta spells it: what sends are routed by. */
  @ApiProperty({ nullable: true, type: String, example: 'MARKETING' })
  category: string | null;

  /** The category Meta announced it will move the template to (impending change); not routed on yet. */
  @ApiProperty({ nullable: true, type: String, example: null })
  pendingCategory: string | null;

  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … as Meta spells it; only APPROVED can be sent. */
  @ApiProperty({ nullable: true, type: String, example: 'APPROVED' })
  status: string | null;

  /** Why it is not sendable: Meta's rejection reason or pause title (FIRST_PAUSE, …). */
  @ApiProperty({ nullable: true, type: String, example: null })
  reason: string | null;

  /** Quality score: GREEN, YELLOW, RED or UNKNOWN. */
  @ApiProperty({ nullable: true, type: String, example: 'GREEN' })
  quality: string | null;

  /** When this record last changed here. */
  @ApiProperty({ type: Date })
  updatedAt: Date;

  static fromRow(row: TemplateRow): TemplateResponseDto {
    return {
      templateId: row.templateId,
      name: row.name,
      language: row.language,
      category: row.category,
      pendingCategory: row.pendingCategory,
      status: row.status,
      reason: row.reason,
      quality: row.quality,
      updatedAt: row.updatedAt,
    };
  }
}

/** `{ data, nextCursor }` of a WABA's templates. */
export class TemplateListResponseDto {
  @ApiProperty({ type: [TemplateResponseDto] })
  data: TemplateResponseDto[];

  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
