import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';

import { DomainException, type FieldError } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** Flattens class-validator errors into `{ field, message }` with dotted paths (`template.name`). */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const flat: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      flat.push({ field, message: message.replace(/^property \S+ /, '') });
    }
    if (error.children && error.children.length > 0) {
      flat.push(...flattenValidationErrors(error.children, field));
    }
  }
  return flat;
}

// NUL, or a UTF-16 surrogate that is not half of a pair (with the u flag, a pair reads as one code point).
const NOT_STORABLE = /[\0\p{Cs}]/u;
const NOT_STORABLE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';
// Bodies are at most MAX_JSON_DEPTH deep and query strings flat; the bound only guards the walk itself.
const MAX_WALK_DEPTH = 64;
const MAX_REPORTED_FIELDS = 10;

/**
 * Dotted paths (`template.components.0.text`) of the strings under `value`, keys included, that PostgreSQL
 * text cannot hold (NUL) or that are not Unicode (an unpaired surrogate, which JSON's `\ud800` escape and
 * nothing else can produce, and which UTF-8 would silently turn into U+FFFD). At most
 * {@link MAX_REPORTED_FIELDS}.
 */
export function findUnstorableStrings(value: unknown, prefix = '', found: string[] = [], depth = 0): string[] {
  if (found.length >= MAX_REPORTED_FIELDS || depth > MAX_WALK_DEPTH) {
    return found;
  }
  if (typeof value === 'string') {
    if (NOT_STORABLE.test(value)) {
      found.push(prefix || 'value');
    }
    return found;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) {
    return found;
  }
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (NOT_STORABLE.test(key)) {
      found.push(path);
      continue;
    }
    findUnstorableStrings(child, path, found, depth + 1);
  }
  return found;
}

/**
 * A DTO class that accepts the plainly valid inputs of a hot route without class-validator and
 * class-transformer (a static `acceptPlain` of the class itself, not inherited): it returns the DTO for an
 * input its decorators would accept, converted as they would convert it, or undefined to leave the input to
 * them, so that every refusal still comes from the decorators with their messages. It must accept nothing
 * the decorators (and the unstorable-string check) would refuse; refusing more only costs time.
 */
export interface AcceptsPlainInput<T> {
  acceptPlain(value: unknown): T | undefined;
}

/** A string any text column holds as sent: no control character (NUL included), no unpaired surrogate. */
export const PLAIN_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;

/**
 * The global pipe: whitelist + forbid unknown fields + transform; failures become VALIDATION_FAILED
 * problems. Once the DTO rules pass (their messages say more about their own fields), every string of a
 * body, query or path is checked for what no column can hold, so that no route, present or future, passes
 * NUL or broken Unicode on to SQL (a 500) or stores a silently altered value.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const accepted = acceptPlain(value, metadata);
    if (accepted !== undefined) {
      return accepted;
    }
    const validated: unknown = await super.transform(value, metadata);
    if (metadata.type !== 'custom') {
      const fields = findUnstorableStrings(validated, metadata.type === 'body' ? '' : (metadata.data ?? ''));
      if (fields.length > 0) {
        throw new DomainException(ErrorCode.VALIDATION_FAILED, `Invalid request: ${fields.join(', ')}`, {
          errors: fields.map((field) => ({ field, message: `${field} ${NOT_STORABLE_MESSAGE}` })),
        });
      }
    }
    return validated;
  }
}

function acceptPlain(value: unknown, metadata: ArgumentMetadata): unknown {
  const metatype = metadata.metatype;
  if (metadata.type === 'custom' || !metatype || !Object.hasOwn(metatype, 'acceptPlain')) {
    return undefined;
  }
  return (metatype as unknown as AcceptsPlainInput<unknown>).acceptPlain(value);
}

/** The global pipe ({@link ApiValidationPipe}). */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    exceptionFactory: (errors: ValidationError[]) => {
      const fieldErrors = flattenValidationErrors(errors);
      const fields = [...new Set(fieldErrors.map((error) => error.field))].join(', ');
      return new DomainException(ErrorCode.VALIDATION_FAILED, `Invalid request: ${fields}`, { errors: fieldErrors });
    },
  });
}
