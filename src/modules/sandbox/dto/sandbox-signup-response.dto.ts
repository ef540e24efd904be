import { ApiProperty } from '@nestjs/swagger';

/** What the Embedded Signup popup would hand over; post it to POST /api/v1/phone-numbers within 30 s. */
export class SandboxSignupResponseDto {
  @ApiProperty({ example: 'SIMCODE…' })
  code: string;

  @ApiProperty({ example: '102290129340398' })
  wabaId: string;

  @ApiProperty({ example: '106540352242922' })
  phoneNumberId: string;

  @ApiProperty({ example: '2329417887457253' })
  businessId: string;
}
