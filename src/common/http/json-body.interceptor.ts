import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { from, type Observable, switchMap } from 'rxjs';

import type { AllConfig } from 'config/config.type';

import { hasUnreadJsonBody, readJsonBody, type RequestWithJsonBody } from './json-body';

/**
 * Reads the JSON body of a request on a route with guards of its own (`@UseGuards`), after they have
 * passed: the global {@link JsonBodyGuard} runs before them, so it leaves such a route's body to this
 * interceptor (`@UseInterceptors(JsonBodyInterceptor)` beside the route's guards). Interceptors run after
 * every guard and before the pipes that validate `@Body()`.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly limitBytes: number;

  constructor(config: ConfigService<AllConfig, true>) {
    this.limitBytes = config.get('app.bodyLimitBytes', { infer: true });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const request = context.switchToHttp().getRequest<RequestWithJsonBody>();
    if (!hasUnreadJsonBody(request)) {
      return next.handle();
    }
    return from(readJsonBody(request, this.limitBytes)).pipe(switchMap(() => next.handle()));
  }
}
