import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

/** Meta object IDs are digit strings. */
export const META_ID_PATTERN = /^\d{1,32}$/;
export const META_ID_MESSAGE = 'must be a Meta ID (1 to 32 digits)';

/** `:wabaId` path parameter. */
export class WabaIdParamDto {
  /** Meta's WABA ID. */
  @ApiProperty({ example: '102290129340398' })
  @Matches(META_ID_PATTERN, { message: `wabaId ${META_ID_MESSAGE}` })
  wabaId: string;

  /** `/wabas/{wabaId}` with a Meta ID, without class-validator; anything else is left to the decorator. */
  static acceptPlain(value: unknown): WabaIdParamDto | undefined {
    if (typeof value !== 'object' || value === null) {
      return undefined;
    }
    const { wabaId, ...others } = value as Record<string, unknown>;
    if (typeof wabaId !== 'string' || !META_ID_PATTERN.test(wabaId) || Object.keys(others).length > 0) {
      return undefined;
    }
    const dto = new WabaIdParamDto();
    dto.wabaId = wabaId;
    return dto;
  }
}

/** `:phoneNumberId` path parameter. */
export class PhoneNumberIdParamDto {
  /** Meta's phone number ID. */
  @ApiProperty({ example: '106540352242922' })
  @Matches(META_ID_PATTERN, { message: `phoneNumberId ${META_ID_MESSAGE}` })
  phoneNumberId: string;
}
