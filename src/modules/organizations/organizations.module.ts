import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { ApiKey } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeyRevocations } from './api-key-revocations';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

/** Tenants, API keys and the global authentication guard. */
@Module({
  imports: [MikroOrmModule.forFeature([Organization, ApiKey])],
  controllers: [OrganizationsController],
  // One cache per instance, trusted while its revocations' listener hears PostgreSQL.
  providers: [OrganizationsService, { provide: ApiKeyCache, useFactory: () => new ApiKeyCache() }, ApiKeyRevocations],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
