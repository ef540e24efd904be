import { ApiProperty } from '@nestjs/swagger';

import type { Organization } from 'src/modules/organizations/organization.entity';

/** An organization. */
export class OrganizationResponseDto {
  /** Internal UUID. */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** Display name. */
  name: string;

  /** When it was created. */
  createdAt: Date;

  static fromEntity(organization: Organization): OrganizationResponseDto {
    return { id: organization.id, name: organization.name, createdAt: organization.createdAt };
  }
}
