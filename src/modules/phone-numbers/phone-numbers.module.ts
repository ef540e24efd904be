import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';
import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { EmbeddedSignupController } from './embedded-signup.controller';
import { PendingConnection } from './pending-connection.entity';
import { PhoneNumber } from './phone-number.entity';
import { PhoneNumbersController } from './phone-numbers.controller';
import { PhoneNumbersService } from './phone-numbers.service';

/** Phone numbers and the Embedded Signup connection flow (with its pending connections). */
@Module({
  imports: [MikroOrmModule.forFeature([PhoneNumber, PendingConnection]), MetaGatewayModule, WabasModule, AuditModule],
  controllers: [PhoneNumbersController, EmbeddedSignupController],
  providers: [PhoneNumbersService],
  exports: [PhoneNumbersService],
})
export class PhoneNumbersModule {}
