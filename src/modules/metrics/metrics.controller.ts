import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { Public } from 'src/modules/organizations/auth.decorators';

import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint. */
@ApiTags('Operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics (text format 0.0.4)',
    description:
      'HTTP latency by route, Graph calls by endpoint and outcome, throttling back-offs, sync round duration and ' +
      'outcome, webhook inbox depth and lag, and the process (memory, event loop, GC).',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition', schema: { type: 'string' } })
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    // Set as is: Express' type() would reorder the parameters of Prometheus' content type.
    response.status(200).setHeader('Content-Type', contentType);
    response.end(body);
  }
}
