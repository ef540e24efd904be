import { Module } from '@nestjs/common';

import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { SyncRoundController } from './sync-round.controller';
import { SyncRoundService } from './sync-round.service';
import { SyncController } from './sync.controller';
import { WabaSyncService } from './waba-sync.service';

/** Reading WABAs from Meta and applying what it says: on demand, for webhooks, MM Lite and the rounds. */
@Module({
  imports: [MetaGatewayModule, WabasModule, PhoneNumbersModule, TemplatesModule],
  controllers: [SyncController, SyncRoundController],
  providers: [WabaSyncService, SyncRoundService],
  exports: [WabaSyncService, SyncRoundService],
})
export class SyncModule {}
