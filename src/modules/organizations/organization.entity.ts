import { Entity, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';

/** A tenant of the platform; owns WABAs, phone numbers, API keys and audit records. */
@Entity({ tableName: 'organizations' })
export class Organization extends BaseEntity {
  @Property({ length: 100 })
  name: string;

  constructor(name: string) {
    super();
    this.name = name;
  }
}
