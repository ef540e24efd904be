import { ERROR_CODE_STATUS, ERROR_CODE_TITLE, type ErrorCode } from './error-code';
import type { FieldError } from './domain.exception';

/** RFC 9457 problem details, as every error response of the API. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Builds the problem document of a catalogue code. */
export function problemFor(
  code: ErrorCode,
  detail: string,
  extras: { errors?: FieldError[]; instance?: string; requestId?: string; meta?: Record<string, unknown> } = {},
): ProblemDocument {
  const document: ProblemDocument = {
    type: `https://docs.whatsapp-assets.local/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: ERROR_CODE_TITLE[code],
    status: ERROR_CODE_STATUS[code],
    detail,
    code,
  };
  if (extras.instance) {
    document.instance = extras.instance;
  }
  if (extras.requestId) {
    document.requestId = extras.requestId;
  }
  if (extras.errors && extras.errors.length > 0) {
    document.errors = extras.errors;
  }
  if (extras.meta) {
    Object.assign(document, extras.meta);
  }
  return document;
}
