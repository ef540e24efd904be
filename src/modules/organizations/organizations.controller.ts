import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';
import { ApiProblemResponses, COMMON_KEY_ROUTE_PROBLEMS } from 'src/common/http/api-problem-responses.decorator';
import { UuidParamDto } from 'src/common/http/uuid-param.dto';

import { AdminOnly, CurrentOrganizationId } from './auth.decorators';
import {
  ApiKeyListResponseDto,
  ApiKeyResponseDto,
  CreatedApiKeyResponseDto,
  CreatedOrganizationResponseDto,
} from './dto/api-key-response.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { CreateOrganizationDto } from './dto/create-organization.dto';
import { OrganizationResponseDto } from './dto/organization-response.dto';
import { API_KEY_MAX_ACTIVE_PER_ORGANIZATION } from './organizations.constants';
import { OrganizationsService } from './organizations.service';

/** Tenants and their API keys. */
@ApiTags('Organizations')
@ApiBearerAuth()
@Controller({ path: 'api/v1' })
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post('organizations')
  @AdminOnly()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create an organization and its first API key (admin token)' })
  @ApiCreatedResponse({ type: CreatedOrganizationResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ...COMMON_KEY_ROUTE_PROBLEMS)
  async createOrganization(@Body() body: CreateOrganizationDto): Promise<CreatedOrganizationResponseDto> {
    const { organization, minted } = await this.organizations.createOrganization(body.name);
    return {
      ...OrganizationResponseDto.fromEntity(organization),
      apiKey: { id: minted.apiKey.id, key: minted.key, createdAt: minted.apiKey.createdAt },
    };
  }

  @Get('organization')
  @ApiOperation({ summary: "The caller's organization" })
  @ApiOkResponse({ type: OrganizationResponseDto })
  @ApiProblemResponses(...COMMON_KEY_ROUTE_PROBLEMS)
  async getOrganization(@CurrentOrganizationId() organizationId: string): Promise<OrganizationResponseDto> {
    return OrganizationResponseDto.fromEntity(await this.organizations.getOrganization(organizationId));
  }

  @Post('organization/api-keys')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Create an API key; the key is shown only in this answer',
    description: `An organization holds at most ${API_KEY_MAX_ACTIVE_PER_ORGANIZATION} active keys (409 API_KEY_LIMIT_REACHED).`,
  })
  @ApiCreatedResponse({ type: CreatedApiKeyResponseDto })
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.API_KEY_LIMIT_REACHED, ...COMMON_KEY_ROUTE_PROBLEMS)
  async createApiKey(
    @CurrentOrganizationId() organizationId: string,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyResponseDto> {
    const minted = await this.organizations.createApiKey(organizationId, body.name ?? null);
    return { ...ApiKeyResponseDto.fromEntity(minted.apiKey), key: minted.key };
  }

  @Get('organization/api-keys')
  @ApiOperation({ summary: 'List active API keys (never the keys themselves)' })
  @ApiOkResponse({ type: ApiKeyListResponseDto })
  @ApiProblemResponses(...COMMON_KEY_ROUTE_PROBLEMS)
  async listApiKeys(@CurrentOrganizationId() organizationId: string): Promise<ApiKeyListResponseDto> {
    const keys = await this.organizations.listApiKeys(organizationId);
    return { data: keys.map((key) => ApiKeyResponseDto.fromEntity(key)) };
  }

  @Delete('organization/api-keys/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an API key; it fails with 401 from the next request on' })
  @ApiNoContentResponse()
  @ApiProblemResponses(ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ...COMMON_KEY_ROUTE_PROBLEMS)
  async revokeApiKey(@CurrentOrganizationId() organizationId: string, @Param() params: UuidParamDto): Promise<void> {
    await this.organizations.revokeApiKey(organizationId, params.id);
  }
}
