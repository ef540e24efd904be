import { ValidationPipe, type ValidationError } from '@nestjs/common';

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

/** The global pipe: whitelist + forbid unknown fields + transform; failures become VALIDATION_FAILED problems. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
