import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';
import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { EmbeddedSignupController } from './embedded-signup.controller';
import { EmbeddedSignupService } from './embedded-signup.service';
import { PendingConnection } from './pending-connection.entity';
import { PhoneNumberChanges } from './phone-number-changes';
import { PhoneNumber } from './phone-number.entity';
import { PhoneNumbersController } from './phone-numbers.controller';
import { PhoneNumbersService } from './phone-numbers.service';
import { RegistrationService } from './registration.service';

/**
 * Phone numbers (the one owner of `phone_numbers`), the Embedded Signup connection flow (with its pending
 * connections) and the numbers' Cloud API registration.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([PhoneNumber, PendingConnection]),
    MetaGatewayModule,
    WabasModule,
    AuditModule,
    TemplatesModule,
  ],
  controllers: [PhoneNumbersController, EmbeddedSignupController],
  providers: [PhoneNumbersService, PhoneNumberChanges, EmbeddedSignupService, RegistrationService],
  exports: [PhoneNumbersService, EmbeddedSignupService, RegistrationService],
})
export class PhoneNumbersModule {}
