import { type CanActivate, type ExecutionContext } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';

import { hasUnreadJsonBody, readJsonBody, type RequestWithJsonBody } from './json-body';

/**
 * Reads the JSON body of a request once its caller is authenticated: a global guard registered after the
 * authentication guard (APP_GUARD, which Nest runs before the guards `useGlobalGuards` adds), and before the
 * pipes that validate `@Body()`. Express would parse bodies in middleware, before any guard: every request
 * paid for reading, inflating and parsing up to the body limit before its 401 (an unknown route before its
 * 404). A request without a valid key is refused before a byte of its body is read, and Node discards the
 * body as it arrives.
 *
 * A guard rather than a global interceptor: any interceptor makes Nest run every route's handler through
 * rxjs (an Observable per request, `lastValueFrom`, two bound async resources), which cost a GET, that
 * has no body, more CPU than its own handler. A route with guards of its own (`@UseGuards`) keeps its
 * body unread until they have passed: this guard leaves it to the route's `JsonBodyInterceptor`.
 */
export class JsonBodyGuard implements CanActivate {
  constructor(private readonly limitBytes: number) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const request = context.switchToHttp().getRequest<RequestWithJsonBody>();
    if (hasUnreadJsonBody(request) && !hasOwnGuards(context)) {
      await readJsonBody(request, this.limitBytes);
    }
    return true;
  }
}

function hasOwnGuards(context: ExecutionContext): boolean {
  const guarded = (target: object): boolean =>
    ((Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? []).length > 0;
  return guarded(context.getHandler()) || guarded(context.getClass());
}
