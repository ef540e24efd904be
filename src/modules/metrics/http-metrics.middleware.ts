import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { UNMATCHED_ROUTE } from './metrics.constants';
import { MetricsService } from './metrics.service';

/**
 * Times every request from the moment it reaches Nest until its answer is written, and labels it with
 * the route template Express matched (`/api/v1/wabas/:wabaId`), so that guard, validation and filter
 * answers are counted too, and label values stay bounded whatever IDs clients send.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const startedAt = process.hrtime.bigint();
    response.once('finish', () => {
      const route = (request.route as { path?: unknown } | undefined)?.path;
      this.metrics.recordHttp(
        request.method,
        // Nest answers unknown paths from a catch-all route (`/{*all}`): those are not a route of ours.
        typeof route === 'string' && !route.includes('*') ? route : UNMATCHED_ROUTE,
        response.statusCode,
        Number(process.hrtime.bigint() - startedAt) / 1e9,
      );
    });
    next();
  }
}
