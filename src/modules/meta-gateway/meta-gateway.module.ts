import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGateway } from './meta-gateway';
import { MetaThrottleRegistry } from './meta-throttle.registry';

/**
 * Binds the {@link MetaGateway} port to the Graph API implementation. Expects the `meta` config namespace
 * to be loaded by a global ConfigModule (AppModule loads config/meta.config.ts); it does not load it
 * itself, so tests can point it at the simulator with their own `meta` values.
 */
@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [ConfigService],
      useFactory: (configService: ConfigService<AllConfig, true>) => {
        const meta = configService.get('meta', { infer: true });
        return {
          baseURL: `${meta.graphApiBaseUrl}/${meta.graphApiVersion}`,
          timeout: meta.requestTimeoutMs,
        };
      },
    }),
  ],
  providers: [MetaThrottleRegistry, { provide: MetaGateway, useClass: GraphApiMetaGateway }],
  exports: [MetaGateway],
})
export class MetaGatewayModule {}
