import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';

import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { SandboxController } from './sandbox.controller';
import { SandboxOnlyGuard } from './sandbox.guard';
import { SandboxService } from './sandbox.service';

/** Sandbox-mode endpoints (404 outside sandbox mode). */
@Module({
  imports: [HttpModule, WabasModule, PhoneNumbersModule],
  controllers: [SandboxController],
  providers: [SandboxService, SandboxOnlyGuard],
})
export class SandboxModule {}
