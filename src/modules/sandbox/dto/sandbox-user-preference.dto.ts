import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, ValidateIf } from 'class-validator';

import {
  IsBusinessScopedUserId,
  IsNotGivenWith,
  isGiven,
} from 'src/modules/mm-lite/dto/is-business-scoped-user-id.decorator';
import { IsRecipientNumber } from 'src/modules/mm-lite/dto/is-recipient-number.decorator';

/** What the user chose; Meta's webhook spells it in lower case (`stop`, `resume`). */
export const SANDBOX_MARKETING_PREFERENCES = ['STOP', 'RESUME'] as const;

/**
 * A recipient stops or resumes the marketing messages of a number's business, as they would in WhatsApp:
 * exactly one of `to` (their phone number) and `recipient` (their BSUID), as in a marketing send.
 */
export class SandboxUserPreferenceDto {
  /** The recipient's phone number with its country code, written as for a send (normalised to E.164). */
  @ApiPropertyOptional({ type: String, example: '+44 7700 900123' })
  @ValidateIf((dto: SandboxUserPreferenceDto) => isGiven(dto.to) || !isGiven(dto.recipient))
  @IsRecipientNumber('or recipient is required: the phone number (to) or business-scoped user ID (recipient)')
  to?: string;

  /** The recipient's business-scoped user ID, instead of `to`. */
  @ApiPropertyOptional({ type: String, example: 'GB.13491208655302741918' })
  @ValidateIf((dto: SandboxUserPreferenceDto) => isGiven(dto.recipient))
  @IsBusinessScopedUserId()
  @IsNotGivenWith('to', 'name the recipient once, by to or by recipient')
  recipient?: string;

  /** `STOP`: later marketing sends to them fail (131050); `RESUME`: they are delivered again. */
  @ApiProperty({ enum: SANDBOX_MARKETING_PREFERENCES })
  @IsIn(SANDBOX_MARKETING_PREFERENCES)
  value: (typeof SANDBOX_MARKETING_PREFERENCES)[number];
}
