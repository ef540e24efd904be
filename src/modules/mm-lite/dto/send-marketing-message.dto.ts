import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import { RECIPIENT_MAX_INPUT_LENGTH } from 'src/modules/mm-lite/mm-lite.constants';

import { IsRecipientNumber } from './is-recipient-number.decorator';

/** The approved template to send. */
export class MarketingTemplateDto {
  /** Template name as approved at Meta (lower-case letters, digits and underscores). */
  @ApiProperty({ example: 'seasonal_sale_promo', maxLength: 512 })
  @IsString()
  @MaxLength(512)
  @Matches(/^[a-z0-9_]+$/, { message: 'name must be a template name: lower-case letters, digits and underscores' })
  name: string;

  /** Template language code as Meta spells it (`en`, `en_US`, `pt_BR`). */
  @ApiProperty({ example: 'en_US' })
  @IsString()
  @Matches(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, { message: 'language must be a language code such as en or en_US' })
  language: string;

  /** Template components (header, body, button parameters) passed to Meta as given. */
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, example: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true, message: 'each component must be an object' })
  components?: Array<Record<string, unknown>>;
}

/** `POST /phone-numbers/{id}/marketing-messages`. */
export class SendMarketingMessageDto {
  /** Recipient's WhatsApp number with its country code, as people write it; normalised to E.164. */
  @ApiProperty({
    type: String,
    maxLength: RECIPIENT_MAX_INPUT_LENGTH,
    example: '+44 7700 900123',
    description:
      "The recipient's WhatsApp number with its country code, written as people write it. Accepted: an " +
      'international prefix `+` or `00`, or none (the digits then start with the country code, as in ' +
      '`447700900123`); spaces, hyphens, dots and parentheses anywhere; `(0)` after the country code (dropped). ' +
      'Examples: `+447700900123`, `+44 7700 900123`, `0044 7700 900123`, `+44 (0)7700 900123`, ' +
      '`+1 (416) 555-0100`, `+1.416.555.0100`, `001 416 555 0100`, `14165550100`. ' +
      'The number is normalised to E.164 (`+` and 7 to 15 digits, e.g. `+14165550100`); that is what Meta is ' +
      'sent and what the region check reads (US numbers are refused with 422 MARKETING_REGION_RESTRICTED ' +
      'however they are written). Refused with 400 naming `to`: letters and other characters ' +
      '(extensions, `tel:`), digits other than 0-9, a `+` that is not first, unbalanced parentheses, national ' +
      'numbers without a country code (`07700 900123`, `(415) 555-0100`), `+0…`/`000…`, and fewer than 7 or ' +
      'more than 15 digits.',
  })
  @IsRecipientNumber()
  to: string;

  /** The marketing template. */
  @ApiProperty({ type: MarketingTemplateDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => MarketingTemplateDto)
  template: MarketingTemplateDto;
}
