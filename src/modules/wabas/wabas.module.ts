import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';

import { Waba } from './waba.entity';
import { WabasController } from './wabas.controller';
import { WabasService } from './wabas.service';

/** WABAs: the list of the guide, their derived status, and the change mechanism every source uses. */
@Module({
  imports: [MikroOrmModule.forFeature([Waba]), AuditModule],
  controllers: [WabasController],
  providers: [WabasService],
  exports: [WabasService],
})
export class WabasModule {}
