import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SyncModule } from 'src/modules/sync/sync.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { MarketingMessagesController } from './marketing-messages.controller';
import { MarketingMessagesService } from './marketing-messages.service';
import { MarketingSendLogService } from './marketing-send-log.service';
import { MarketingSendHistoryController } from './marketing-send-history.controller';
import { MarketingSendHistoryService } from './marketing-send-history.service';
import { MarketingSendRetentionService } from './marketing-send-retention.service';
import { MmLiteController } from './mm-lite.controller';
import { MmLiteService } from './mm-lite.service';
import { MarketingMessage } from './sends/marketing-message.entity';
import { MarketingMessageHistoryRepository } from './sends/marketing-message-history.repository';
import { MarketingRecipientHold } from './sends/marketing-recipient-hold.entity';

/**
 * MM Lite: the onboarding panel of a WABA and marketing template sends through a number's channel; the one
 * owner of `marketing_messages` (every send and its Meta statuses) and `marketing_recipient_holds`.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([MarketingMessage, MarketingRecipientHold]),
    MetaGatewayModule,
    WabasModule,
    PhoneNumbersModule,
    SyncModule,
    TemplatesModule,
  ],
  controllers: [MmLiteController, MarketingMessagesController, MarketingSendHistoryController],
  providers: [
    MmLiteService,
    MarketingMessagesService,
    MarketingSendLogService,
    MarketingSendHistoryService,
    MarketingSendRetentionService,
    MarketingMessageHistoryRepository,
  ],
  exports: [MarketingSendLogService, MarketingSendRetentionService],
})
export class MmLiteModule {}
