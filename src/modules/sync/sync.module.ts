import { Module } from '@nestjs/common';

import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { SyncController } from './sync.controller';
import { WabaSyncService } from './waba-sync.service';

/** Reading WABAs from Meta and applying what it says: on demand, for webhooks, MM Lite and the rounds. */
@Module({
  imports: [MetaGatewayModule, WabasModule, PhoneNumbersModule],
  controllers: [SyncController],
  providers: [WabaSyncService],
  exports: [WabaSyncService],
})
export class SyncModule {}
