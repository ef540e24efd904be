import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';
import { WabaTemplateSync } from './waba-template-sync.entity';
import { WabaTemplate } from './waba-template.entity';

/**
 * Message templates of connected WABAs, the one owner of `waba_templates` and `waba_template_syncs`: read
 * from Meta (connect, re-sync rounds, on demand), kept fresh by template webhooks, listed per WABA, and
 * looked up by sends (TemplatesService.lookupForSend).
 */
@Module({
  imports: [MikroOrmModule.forFeature([WabaTemplate, WabaTemplateSync]), WabasModule, MetaGatewayModule],
  controllers: [TemplatesController],
  providers: [TemplatesService],
  exports: [TemplatesService],
})
export class TemplatesModule {}
