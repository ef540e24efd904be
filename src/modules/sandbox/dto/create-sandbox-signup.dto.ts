import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

/** Body of POST /api/v1/sandbox/embedded-signup. */
export class CreateSandboxSignupDto {
  /** Name of the simulated WABA. */
  @ApiPropertyOptional({ example: 'Lucky Shrub' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'wabaName must not contain control characters' })
  wabaName?: string;

  /** Display number of the simulated phone number. */
  @ApiPropertyOptional({ example: '+1 631-555-5555' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,24}$/, { message: 'displayPhoneNumber must look like a phone number' })
  displayPhoneNumber?: string;
}
