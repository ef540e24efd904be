import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { DomainException } from './domain.exception';
import { ErrorCode } from './error-code';
import { PROBLEM_CONTENT_TYPE, type ProblemDocument, problemFor } from './problem-document';
import type { ProblemTranslator } from './problem-translator';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/**
 * Turns every error into an RFC 9457 problem document: the exceptions a {@link ProblemTranslator} knows
 * (Meta failures no service handled), domain exceptions by their catalogue code, Nest's own HTTP exceptions
 * (unknown route, method), body-parser failures (bad JSON, too large), and finally anything unexpected as a
 * 500 that echoes nothing internal. Built by the composition root, which passes the modules' translators.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  constructor(private readonly translators: readonly ProblemTranslator[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      throw exception;
    }
    const context = host.switchToHttp();
    const request = context.getRequest<Request & { id?: string }>();
    const response = context.getResponse<Response>();
    const requestId = typeof request.id === 'string' ? request.id : undefined;
    const instance = request.originalUrl?.split('?')[0];

    const { problem, retryAfterSeconds } = this.toProblem(exception, { instance, requestId });
    if (problem.status >= 500 && problem.code === ErrorCode.INTERNAL_ERROR) {
      // The logger's `err` serializer (describeError) keeps class, code and a bounded message only: a
      // driver's error carries the SQL and its parameters, a parser's the body.
      this.logger.error({ err: exception, requestId }, 'Unhandled error');
    }
    if (response.headersSent) {
      return;
    }
    if (retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(retryAfterSeconds));
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  private toProblem(
    exception: unknown,
    context: { instance?: string; requestId?: string },
  ): { problem: ProblemDocument; retryAfterSeconds?: number } {
    const domain = this.translate(exception) ?? exception;
    if (domain instanceof DomainException) {
      return {
        problem: problemFor(domain.code, domain.detail, {
          ...context,
          errors: domain.extras.errors,
          meta: domain.extras.meta,
        }),
        retryAfterSeconds: domain.extras.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException) {
      return { problem: this.fromHttpException(exception, context) };
    }
    if (isClientHttpError(exception)) {
      return { problem: this.fromBodyParserError(exception, context) };
    }
    return {
      problem: problemFor(
        ErrorCode.INTERNAL_ERROR,
        'An unexpected error occurred; quote the request ID when reporting it',
        context,
      ),
    };
  }

  private translate(exception: unknown): DomainException | null {
    for (const translator of this.translators) {
      const translated = translator(exception);
      if (translated) {
        return translated;
      }
    }
    return null;
  }

  private fromHttpException(
    exception: HttpException,
    context: { instance?: string; requestId?: string },
  ): ProblemDocument {
    const status = exception.getStatus();
    switch (status) {
      case 404:
        return problemFor(ErrorCode.NOT_FOUND, `No route matches ${context.instance ?? 'this path'}`, context);
      case 405:
        return problemFor(ErrorCode.METHOD_NOT_ALLOWED, 'This method is not allowed on this route', context);
      case 413:
        return problemFor(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the accepted limit', context);
      case 415:
        return problemFor(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json', context);
      case 401:
        return problemFor(ErrorCode.UNAUTHENTICATED, 'Authentication is required', context);
      case 403:
        return problemFor(ErrorCode.FORBIDDEN, 'Forbidden', context);
      case 429:
        return problemFor(ErrorCode.RATE_LIMITED, 'Too many requests', context);
      case 503:
        return problemFor(ErrorCode.SERVICE_UNAVAILABLE, 'A dependency is not reachable', {
          ...context,
          meta: { checks: exception.getResponse() },
        });
      default:
        if (status >= 400 && status < 500) {
          return problemFor(ErrorCode.MALFORMED_REQUEST, exception.message, context);
        }
        return problemFor(ErrorCode.INTERNAL_ERROR, 'An unexpected error occurred', context);
    }
  }

  private fromBodyParserError(
    error: BodyParserError,
    context: { instance?: string; requestId?: string },
  ): ProblemDocument {
    switch (error.type ?? '') {
      case 'entity.too.large':
        return problemFor(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the accepted limit', context);
      case 'entity.parse.failed':
        return problemFor(ErrorCode.MALFORMED_REQUEST, 'The request body is not valid JSON', {
          ...context,
          errors: [{ field: 'body', message: 'must be valid JSON' }],
        });
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return problemFor(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding or charset', context);
      default:
        // Untyped: a decompression error passed on by a parser (broken or truncated gzip, deflate, br).
        if (error.status === 413) {
          return problemFor(ErrorCode.PAYLOAD_TOO_LARGE, 'The request body is larger than the accepted limit', context);
        }
        if (error.status === 415) {
          return problemFor(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding or charset', context);
        }
        return problemFor(ErrorCode.MALFORMED_REQUEST, 'The request body could not be read', {
          ...context,
          errors: [{ field: 'body', message: 'could not be read or decompressed' }],
        });
    }
  }
}

/**
 * An http-errors error with a 4xx status the raising library meant to be shown (body-parser's, raw-body's,
 * and the zlib errors they wrap with a 400 but no `type`).
 */
function isClientHttpError(exception: unknown): exception is BodyParserError {
  if (exception === null || typeof exception !== 'object') {
    return false;
  }
  const { status, expose } = exception as BodyParserError;
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}
