import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, type ValidationArguments } from 'class-validator';

const DECIMAL_DIGITS = /^[0-9]+$/;

/**
 * A whole-number query parameter, written in plain ASCII decimal digits: `10`, but not `0x10`, `1e1`,
 * ` 10`, `+10`, `10.0`, `-1` or `１０`. Query values are text, and `@Type(() => Number)` hands them to
 * `Number()`, which reads hex, binary, exponents and surrounding spaces (`limit=0x10` was a page of 16).
 * Any other spelling stays the string it was, so `IsInt` refuses it and the 400 names the parameter.
 * Put bounds next to it with `@Min`/`@Max`.
 */
export function IsQueryInteger(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => parseDecimalDigits(value), { toClassOnly: true }),
    IsInt({ message: ({ property }: ValidationArguments) => `${property} must be a whole number in decimal digits` }),
  );
}

/** `value` as a number when it is a string of decimal digits only; otherwise `value` unchanged. */
export function parseDecimalDigits(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value;
}
