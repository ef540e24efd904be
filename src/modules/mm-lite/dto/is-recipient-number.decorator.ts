import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

import { parseRecipientNumber } from 'src/modules/mm-lite/recipient-number';

/**
 * A recipient phone number as people write it: validated by {@link parseRecipientNumber} and replaced by
 * its E.164 form (`+447700900123`) before the controller sees it. A refused value is left as sent, so the
 * validation message explains what is wrong with what the caller wrote; `missingMessage` is what to say
 * when the property is absent (after the property name).
 */
export function IsRecipientNumber(missingMessage?: string): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => {
      const parsed = parseRecipientNumber(value);
      return parsed.ok ? parsed.e164 : value;
    }),
    ValidateBy({
      name: 'isRecipientNumber',
      validator: {
        validate: (value: unknown) => parseRecipientNumber(value).ok,
        defaultMessage: (args) => {
          const property = args?.property ?? 'to';
          if (args?.value === undefined && missingMessage) {
            return `${property} ${missingMessage}`;
          }
          const parsed = parseRecipientNumber(args?.value);
          return `${property} ${parsed.ok ? 'must be a phone number' : parsed.message}`;
        },
      },
    }),
  );
}
