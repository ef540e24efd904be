import { Module } from '@nestjs/common';

import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SyncModule } from 'src/modules/sync/sync.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { MarketingMessagesController } from './marketing-messages.controller';
import { MarketingMessagesService } from './marketing-messages.service';
import { MmLiteController } from './mm-lite.controller';
import { MmLiteService } from './mm-lite.service';

/** MM Lite: the onboarding panel of a WABA and marketing template sends through a number's channel. */
@Module({
  imports: [MetaGatewayModule, WabasModule, PhoneNumbersModule, SyncModule, TemplatesModule],
  controllers: [MmLiteController, MarketingMessagesController],
  providers: [MmLiteService, MarketingMessagesService],
})
export class MmLiteModule {}
