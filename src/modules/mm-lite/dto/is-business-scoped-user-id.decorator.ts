import { ValidateBy } from 'class-validator';

import { parseBusinessScopedUserId } from 'src/modules/mm-lite/business-scoped-user-id';

/**
 * A business-scoped user ID (BSUID) as Meta issues it, validated by {@link parseBusinessScopedUserId} and
 * kept exactly as sent (Meta asks for the full string, so nothing is trimmed or re-cased).
 */
export function IsBusinessScopedUserId(): PropertyDecorator {
  return ValidateBy({
    name: 'isBusinessScopedUserId',
    validator: {
      validate: (value: unknown) => parseBusinessScopedUserId(value).ok,
      defaultMessage: (args) => {
        const parsed = parseBusinessScopedUserId(args?.value);
        return `${args?.property ?? 'recipient'} ${parsed.ok ? 'must be a business-scoped user ID' : parsed.message}`;
      },
    },
  });
}

/**
 * Refuses the property when `other` is also given (neither undefined nor null): of two ways to name one
 * thing, exactly one may be used. Put it on the property the caller should drop.
 */
export function IsNotGivenWith(other: string, why: string): PropertyDecorator {
  return ValidateBy({
    name: 'isNotGivenWith',
    constraints: [other],
    validator: {
      validate: (_value: unknown, args) => !isGiven((args?.object as Record<string, unknown> | undefined)?.[other]),
      defaultMessage: (args) => `${args?.property ?? 'this field'} must not be given together with ${other}: ${why}`,
    },
  });
}

/** Whether a body field was given at all: JSON null counts as left out. */
export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null;
}
