import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';
import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { EmbeddedSignupController } from './embedded-signup.controller';
import { EmbeddedSignupService } from './embedded-signup.service';
import { OnboardingStepsService } from './onboarding-steps.service';
import { PendingConnection } from './pending-connection.entity';
import { PhoneNumberChanges } from './phone-number-changes';
import { PhoneNumber } from './phone-number.entity';
import { PhoneNumbersController } from './phone-numbers.controller';
import { PhoneNumbersService } from './phone-numbers.service';

/** Phone numbers, the Embedded Signup connection flow (with its pending connections) and the onboarding steps. */
@Module({
  imports: [MikroOrmModule.forFeature([PhoneNumber, PendingConnection]), MetaGatewayModule, WabasModule, AuditModule],
  controllers: [PhoneNumbersController, EmbeddedSignupController],
  providers: [PhoneNumbersService, PhoneNumberChanges, EmbeddedSignupService, OnboardingStepsService],
  exports: [PhoneNumbersService, EmbeddedSignupService, OnboardingStepsService],
})
export class PhoneNumbersModule {}
