import { ApiProperty } from '@nestjs/swagger';

/** What the front end needs to launch Meta's Embedded Signup popup. */
export class EmbeddedSignupConfigResponseDto {
  /** Meta app ID (FB.init appId). */
  @ApiProperty({ example: '670843887433847' })
  appId: string;

  /** Login for Business configuration ID (FB.login config_id). */
  @ApiProperty({ example: '1234567890' })
  configId: string;

  /** Graph API version (FB.init version). */
  @ApiProperty({ example: 'v25.0' })
  graphApiVersion: string;

  /** True when the service runs against its built-in simulator: use POST /api/v1/sandbox/embedded-signup instead. */
  @ApiProperty({ example: false })
  sandbox: boolean;
}
