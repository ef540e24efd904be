import { ApiProperty } from '@nestjs/swagger';

import type { WabaDetailRow } from 'src/modules/wabas/waba.repository';
import { MmLiteStatus, WabaConnection, WabaStatus } from 'src/modules/wabas/wabas.constants';

/** One row of the WABA accounts list (the guide's columns). */
export class WabaRowResponseDto {
  /** Meta's WABA ID. */
  @ApiProperty({ example: '102290129340398' })
  wabaId: string;

  /** Account name as entered at Meta. */
  @ApiProperty({ nullable: true, type: String, example: 'Lucky Shrub' })
  name: string | null;

  /** Active or Disabled, derived from Meta's signals. */
  @ApiProperty({ enum: WabaStatus, enumName: 'WabaStatus' })
  status: WabaStatus;

  /** Why (BANNED, DISCONNECTED, BLOCKED, META_STATUS_<value>, SCHEDULED_FOR_DISABLE, RESTRICTED) or null. */
  @ApiProperty({ nullable: true, type: String, example: null })
  statusReason: string | null;

  /** MM Lite onboarding column; null is the dash (not started). */
  @ApiProperty({ enum: MmLiteStatus, enumName: 'MmLiteStatus', nullable: true })
  mmLiteStatus: MmLiteStatus | null;

  /** Number of this WABA's phone numbers connected to the platform. */
  @ApiProperty({ example: 1 })
  associatedNumbers: number;

  /** REAUTH_REQUIRED when Meta rejected the stored token. */
  @ApiProperty({ enum: WabaConnection, enumName: 'WabaConnection' })
  connection: WabaConnection;

  /**
   * The type of the WABA's newest ACTIVE CRITICAL account alert (e.g. INCREASED_CAPABILITIES_ELIGIBILITY_FAILED),
   * shown as a warning: Meta did not disable the account, so the status does not change. Null when none; the
   * detail's `alerts` say more.
   */
  @ApiProperty({ nullable: true, type: String, example: null })
  criticalAlert: string | null;

  /** Last successful read from Meta. */
  @ApiProperty({ nullable: true, type: Date })
  lastSyncedAt: Date | string | null;

  /**
   * From the WABA itself. The list's rows are written by PostgreSQL in this shape (SQL function `waba_list_json`,
   * migration waba_list_json): a change of this DTO's keys needs a migration that replaces it and rewrites the column.
   */
  static fromRow(row: Readonly<WabaDetailRow>): WabaRowResponseDto {
    return {
      wabaId: row.wabaId,
      name: row.name,
      status: row.status,
      statusReason: row.statusReason,
      mmLiteStatus: row.mmLiteStatus,
      associatedNumbers: row.associatedNumbers,
      connection: row.connection,
      criticalAlert: row.criticalAlert,
      lastSyncedAt: row.lastSyncedAt,
    };
  }
}

/** `{ data, nextCursor }` of the WABA list. */
export class WabaListResponseDto {
  @ApiProperty({ type: [WabaRowResponseDto] })
  data: WabaRowResponseDto[];

  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}
