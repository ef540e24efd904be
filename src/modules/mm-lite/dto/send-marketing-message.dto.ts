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
  /** Recipient's WhatsApp number in E.164, with or without `+` (e.g. `+447700900123`). */
  @ApiProperty({ example: '+447700900123' })
  @IsString()
  @Matches(/^\+?[1-9]\d{6,14}$/, { message: 'to must be a phone number in E.164 format, e.g. +447700900123' })
  to: string;

  /** The marketing template. */
  @ApiProperty({ type: MarketingTemplateDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => MarketingTemplateDto)
  template: MarketingTemplateDto;
}
