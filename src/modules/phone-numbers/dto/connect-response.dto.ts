import { ApiProperty } from '@nestjs/swagger';

import { WabaDetailResponseDto } from 'src/modules/wabas/dto/waba-detail-response.dto';

import { PhoneNumberResponseDto } from './phone-number-response.dto';

/** Answer of a connection: the number and its WABA. */
export class ConnectResponseDto {
  @ApiProperty({ type: PhoneNumberResponseDto })
  phoneNumber: PhoneNumberResponseDto;

  @ApiProperty({ type: WabaDetailResponseDto })
  waba: WabaDetailResponseDto;
}
