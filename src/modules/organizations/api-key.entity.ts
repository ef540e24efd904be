import { Entity, EntityRepositoryType, Index, ManyToOne, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';

import { ApiKeyRepository } from './api-key.repository';
import { Organization } from './organization.entity';

/** An organization API key; only its SHA-256 hash is stored, the key is shown once at creation. */
@Entity({ tableName: 'api_keys', repository: () => ApiKeyRepository })
@TenantScoped('organization')
@Index({ properties: ['organization', 'createdAt'] })
export class ApiKey extends BaseEntity<'name' | 'lastUsedAt' | 'revokedAt'> {
  [EntityRepositoryType]?: ApiKeyRepository;

  @ManyToOne(() => Organization, { deleteRule: 'cascade' })
  organization: Organization;

  @Property({ length: 100, nullable: true })
  name: string | null = null;

  /** Hex SHA-256 of the key; keys carry ≥ 128 random bits, so a fast hash is enough and a lookup is exact. */
  @Property({ length: 64, unique: true })
  keyHash: string;

  /** First characters of the key, to recognize it in lists. */
  @Property({ length: 16 })
  prefix: string;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  constructor(organization: Organization, keyHash: string, prefix: string, name: string | null) {
    super();
    this.organization = organization;
    this.keyHash = keyHash;
    this.prefix = prefix;
    this.name = name;
  }
}
