import { createHash, timingSafeEqual } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

import type { AllConfig } from 'config/config.type';
import { scopeToOrganization } from 'src/common/database/tenant-filter';
import { AUTH_KIND_KEY, AuthKind, type RequestWithCaller } from 'src/modules/organizations/auth.decorators';
import { UnauthenticatedException } from 'src/modules/organizations/organizations.exception';
import { OrganizationsService } from 'src/modules/organizations/organizations.service';

/**
 * The global guard: every route needs an organization API key unless marked @Public() or @AdminOnly().
 * On success the caller (organization, key) is put on the request for the scoped services, and the
 * request's EntityManager is scoped to the organization (the `tenant` filter), so that every ORM read of a
 * tenant-owned entity in the request sees that organization's rows only, even one that forgot the condition.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminTokenDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
    // The global EntityManager resolves to the request's fork (registerRequestContext).
    private readonly em: EntityManager,
    config: ConfigService<AllConfig, true>,
  ) {
    this.adminTokenDigest = digest(config.get('app.adminApiToken', { infer: true }));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const kind =
      this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? AuthKind.API_KEY;
    if (kind === AuthKind.PUBLIC) {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request & RequestWithCaller>();
    const token = bearerToken(request);

    if (kind === AuthKind.ADMIN) {
      if (!timingSafeEqual(digest(token), this.adminTokenDigest)) {
        throw new UnauthenticatedException('This route requires the admin token');
      }
      request.caller = { kind, organizationId: null, apiKeyId: null };
      return true;
    }

    const authenticated = await this.organizations.authenticate(token);
    if (!authenticated) {
      throw new UnauthenticatedException('The API key is unknown or revoked');
    }
    request.caller = { kind, organizationId: authenticated.organizationId, apiKeyId: authenticated.apiKeyId };
    scopeToOrganization(this.em, authenticated.organizationId);
    return true;
  }
}

function bearerToken(request: Request): string {
  const header = request.headers.authorization;
  if (!header) {
    throw new UnauthenticatedException('Send an Authorization: Bearer <key> header');
  }
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  if (!match?.[1]) {
    throw new UnauthenticatedException('The Authorization header must be "Bearer <key>"');
  }
  return match[1];
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
