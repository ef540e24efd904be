import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';

import { ApiKey } from './api-key.entity';
import { AuthGuard } from './guards/auth.guard';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

/** Tenants, API keys and the global authentication guard. */
@Module({
  imports: [MikroOrmModule.forFeature([Organization, ApiKey])],
  controllers: [OrganizationsController],
  providers: [OrganizationsService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
