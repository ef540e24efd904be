import { ApiProperty } from '@nestjs/swagger';

import type { ApiKey } from 'src/modules/organizations/api-key.entity';

/** An API key as listed (never the key itself). */
export class ApiKeyResponseDto {
  /** Internal UUID; use it to revoke the key. */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** Label given at creation. */
  @ApiProperty({ nullable: true, type: String })
  name: string | null;

  /** When it was created. */
  createdAt: Date;

  /** Last successful authentication (minute resolution). */
  @ApiProperty({ nullable: true, type: Date })
  lastUsedAt: Date | null;

  static fromEntity(apiKey: ApiKey): ApiKeyResponseDto {
    return { id: apiKey.id, name: apiKey.name, createdAt: apiKey.createdAt, lastUsedAt: apiKey.lastUsedAt };
  }
}

/** A newly created key: the only time the key is shown. */
export class CreatedApiKeyResponseDto {
  /** Internal UUID. */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The secret bearer key. Store it now: it is never shown again. */
  @ApiProperty({ example: 'waak_3q2ZyQ…' })
  key: string;

  /** Label given at creation. */
  @ApiProperty({ nullable: true, type: String })
  name: string | null;

  /** When it was created. */
  createdAt: Date;
}

/** `{ data }` wrapper of the key list. */
export class ApiKeyListResponseDto {
  @ApiProperty({ type: [ApiKeyResponseDto] })
  data: ApiKeyResponseDto[];
}

/** `{ id, key, createdAt }` of the first key. */
export class CreatedApiKeySummaryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The secret bearer key; never shown again. */
  key: string;

  createdAt: Date;
}

/** Answer of organization creation: the organization and its first key. */
export class CreatedOrganizationResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  name: string;

  createdAt: Date;

  /** The first API key of the organization; shown only here. */
  @ApiProperty({ type: CreatedApiKeySummaryDto })
  apiKey: CreatedApiKeySummaryDto;
}
