import { ApiProperty } from '@nestjs/swagger';

import type { AuditEvent } from 'src/modules/audit/audit-event.entity';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ChangeSource } from 'src/modules/audit/change-context';

/** One recorded change. */
export class AuditEventResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: AuditEventType, enumName: 'AuditEventType' })
  type: AuditEventType;

  @ApiProperty({ nullable: true, type: String })
  wabaId: string | null;

  @ApiProperty({ nullable: true, type: String })
  phoneNumberId: string | null;

  /** Where the change came from. */
  @ApiProperty({ enum: ChangeSource, enumName: 'ChangeSource' })
  source: ChangeSource;

  /** `api-key:<id>`, `meta-webhook`, `sync` or `system`. */
  actor: string;

  @ApiProperty({ nullable: true, type: Object })
  before: Record<string, unknown> | null;

  @ApiProperty({ nullable: true, type: Object })
  after: Record<string, unknown> | null;

  occurredAt: Date;

  static fromEntity(event: AuditEvent): AuditEventResponseDto {
    return {
      id: event.id,
      type: event.type,
      wabaId: event.wabaId,
      phoneNumberId: event.phoneNumberId,
      source: event.source,
      actor: event.actor,
      before: event.before,
      after: event.after,
      occurredAt: event.occurredAt,
    };
  }
}

/** `{ data, nextCursor }` of the audit list. */
export class AuditEventListResponseDto {
  @ApiProperty({ type: [AuditEventResponseDto] })
  data: AuditEventResponseDto[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
