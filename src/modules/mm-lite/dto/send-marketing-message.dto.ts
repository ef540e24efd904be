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
  ValidateIf,
  ValidateNested,
} from 'class-validator';

import { BSUID_MAX_ID_LENGTH, RECIPIENT_MAX_INPUT_LENGTH } from 'src/modules/mm-lite/mm-lite.constants';

import { IsBusinessScopedUserId, IsNotGivenWith, isGiven } from './is-business-scoped-user-id.decorator';
import { IsRecipientNumber } from './is-recipient-number.decorator';

const ONE_RECIPIENT =
  'send exactly one of to (a phone number) or recipient (a business-scoped user ID); Meta would use to and ignore recipient';

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

/**
 * `POST /phone-numbers/{id}/marketing-messages`: exactly one of `to` (a phone number) and `recipient` (a
 * business-scoped user ID, graph-api-2026 §A.6).
 */
export class SendMarketingMessageDto {
  /** Recipient's WhatsApp number with its country code, as people write it; normalised to E.164. */
  @ApiPropertyOptional({
    type: String,
    maxLength: RECIPIENT_MAX_INPUT_LENGTH,
    example: '+44 7700 900123',
    description:
      "The recipient's WhatsApp number with its country code, written as people write it. Give either `to` or " +
      '`recipient`, not both. Accepted: an ' +
      'international prefix `+` or `00`, or none (the digits then start with the country code, as in ' +
      '`447700900123`); spaces, hyphens, dots and parentheses anywhere; `(0)` after the country code (dropped). ' +
      'Examples: `+447700900123`, `+44 7700 900123`, `0044 7700 900123`, `+44 (0)7700 900123`, ' +
      '`+1 (416) 555-0100`, `+1.416.555.0100`, `001 416 555 0100`, `14165550100`. ' +
      'The number is normalised to E.164 (`+` and 7 to 15 digits, e.g. `+14165550100`); that is what Meta is ' +
      'sent and what the region check reads (US numbers are refused with 422 MARKETING_REGION_RESTRICTED ' +
      'however they are written). Meta itself would read a number without `+` as national to the sending ' +
      "number's country; the service never sends one, so digits without a prefix must start with the country " +
      'code. Refused with 400 naming `to`: letters and other characters ' +
      '(extensions, `tel:`), digits other than 0-9, a `+` that is not first, unbalanced parentheses, national ' +
      'numbers without a country code (`07700 900123`, `(415) 555-0100`), `+0…`/`000…`, fewer than 7 or ' +
      'more than 15 digits, and a body with neither `to` nor `recipient`.',
  })
  @ValidateIf((dto: SendMarketingMessageDto) => isGiven(dto.to) || !isGiven(dto.recipient))
  @IsRecipientNumber(
    "or recipient is required: the recipient's phone number with its country code in to (e.g. +44 7700 900123), " +
      'or their business-scoped user ID in recipient (e.g. US.13491208655302741918)',
  )
  to?: string;

  /** The recipient's business-scoped user ID (BSUID), instead of `to`. */
  @ApiPropertyOptional({
    type: String,
    maxLength: 'XX.ENT.'.length + BSUID_MAX_ID_LENGTH,
    example: 'US.13491208655302741918',
    description:
      "The recipient's business-scoped user ID (BSUID), for users known only by one (Meta's usernames, 2026): " +
      'a two-letter upper-case ISO 3166 region, a dot, then up to 128 letters and digits ' +
      '(`US.13491208655302741918`), or a parent BSUID (`US.ENT.11815799212886844830`). Sent to Meta exactly as ' +
      'given, as `recipient` instead of `to`, through either channel. Give either `to` or `recipient`, not both. ' +
      'A BSUID belongs to one business portfolio: it works only from numbers of that portfolio. Some templates ' +
      'cannot go to a BSUID (templates with a max price, one-tap/zero-tap/copy-code authentication templates): ' +
      'Meta refuses them with 131062, answered as 422 RECIPIENT_TYPE_NOT_SUPPORTED; send those to the phone ' +
      'number. Refused with 400 naming `recipient`: anything else (lower-case region, spaces, symbols, a phone ' +
      'number, more than 128 characters after the region) and a body that also has `to`. A region under a ' +
      'marketing restriction (US) is refused with 422 MARKETING_REGION_RESTRICTED before Meta is called.',
  })
  @ValidateIf((dto: SendMarketingMessageDto) => isGiven(dto.recipient))
  @IsBusinessScopedUserId()
  @IsNotGivenWith('to', ONE_RECIPIENT)
  recipient?: string;

  /** The marketing template. */
  @ApiProperty({ type: MarketingTemplateDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => MarketingTemplateDto)
  template: MarketingTemplateDto;
}
