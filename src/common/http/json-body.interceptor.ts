import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { from, type Observable, switchMap } from 'rxjs';

import { hasUnreadJsonBody, readJsonBody, type RequestWithJsonBody } from './json-body';

/**
 * Reads the JSON body of a request once it is routed and its caller authenticated. Express would parse
 * bodies in middleware, before any guard: every request paid for reading, inflating and parsing up to the
 * body limit before its 401 (an unknown route before its 404). Global interceptors run after the guards
 * and before the pipes that validate `@Body()`, so a request without a valid key is refused before a byte
 * of its body is read, and Node discards the body as it arrives.
 */
export class JsonBodyInterceptor implements NestInterceptor {
  constructor(private readonly limitBytes: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const request = context.switchToHttp().getRequest<RequestWithJsonBody>();
    // Most requests (GETs, the webhook's raw bytes read before) have nothing to read: no promise for them.
    if (!hasUnreadJsonBody(request)) {
      return next.handle();
    }
    return from(readJsonBody(request, this.limitBytes)).pipe(switchMap(() => next.handle()));
  }
}
