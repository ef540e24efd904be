import { createHash, timingSafeEqual } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';

import type { AllConfig } from 'config/config.type';
import type { RateLimitConfig } from 'config/rate-limit.config';
import { scopeToOrganization } from 'src/common/database/tenant-filter';
import { clientAddressKey } from 'src/common/rate-limit/client-address';
import { RateLimitedException } from 'src/common/rate-limit/rate-limit.exception';
import { RateLimiter } from 'src/common/rate-limit/rate-limiter';
import { AUTH_KIND_KEY, AuthKind, type RequestWithCaller } from 'src/modules/organizations/auth.decorators';
import { UnauthenticatedException } from 'src/modules/organizations/organizations.exception';
import { OrganizationsService } from 'src/modules/organizations/organizations.service';

/**
 * The global guard: every route needs an organization API key unless marked @Public() or @AdminOnly().
 * On success the caller (organization, key) is put on the request for the scoped services, and the
 * request's EntityManager is scoped to the organization (the `tenant` filter), so that every ORM read of a
 * tenant-owned entity in the request sees that organization's rows only, even one that forgot the condition.
 *
 * It also holds the public API's limits, shared by all instances ({@link RateLimiter}):
 * - RATE_LIMIT_PER_MINUTE per organization, all its keys together (admin-token requests: per address);
 * - AUTH_FAILURES_PER_MINUTE presented-but-wrong credentials (API key or admin token) per client address
 *   (an IPv6 client by its /64).
 *   Once an address is over it, every request from it is answered 429 before any key lookup, a correct
 *   credential included: otherwise a 200 among the 429s would tell a guesser it had found one.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminTokenDigest: Buffer;
  private readonly limits: RateLimitConfig;

  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
    // The global EntityManager resolves to the request's fork (registerRequestContext).
    private readonly em: EntityManager,
    private readonly limiter: RateLimiter,
    config: ConfigService<AllConfig, true>,
  ) {
    this.adminTokenDigest = digest(config.get('app.adminApiToken', { infer: true }));
    this.limits = config.get('rateLimit', { infer: true });
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
    const address = clientAddressKey(request.ip ?? request.socket.remoteAddress);
    const failureBucket = `auth-failure:${address}`;
    const blockedMs = this.limiter.knownBlockMs(failureBucket);
    if (blockedMs > 0) {
      throw tooManyFailures(blockedMs);
    }
    const token = bearerToken(request);

    if (kind === AuthKind.ADMIN) {
      if (token === null || !timingSafeEqual(digest(token), this.adminTokenDigest)) {
        return this.fail(failureBucket, 'This route requires the admin token');
      }
      await this.admit(`admin:${address}`, 'admin requests from this address');
      request.caller = { kind, organizationId: null, apiKeyId: null };
      return true;
    }

    const authenticated = token === null ? null : await this.organizations.authenticate(token);
    if (!authenticated) {
      return this.fail(
        failureBucket,
        token === null ? 'The Authorization header must be "Bearer <key>"' : 'The API key is unknown or revoked',
      );
    }
    await this.admit(`organization:${authenticated.organizationId}`, "this organization's requests");
    request.caller = { kind, organizationId: authenticated.organizationId, apiKeyId: authenticated.apiKeyId };
    scopeToOrganization(this.em, authenticated.organizationId);
    return true;
  }

  /** Counts a failed authentication of the address: 401, or 429 once the address is over its limit. */
  private async fail(failureBucket: string, detail: string): Promise<never> {
    const decision = await this.limiter.consume(failureBucket, this.limits.authFailuresPerMinute);
    if (!decision.allowed) {
      throw tooManyFailures(decision.retryAfterMs);
    }
    throw new UnauthenticatedException(detail);
  }

  private async admit(bucket: string, what: string): Promise<void> {
    const decision = await this.limiter.consume(bucket, this.limits.requestsPerMinute);
    if (!decision.allowed) {
      throw new RateLimitedException(
        `Too many requests: ${what} are limited to ${this.limits.requestsPerMinute} per minute; retry after the given delay`,
        decision.retryAfterMs,
      );
    }
  }
}

function tooManyFailures(retryAfterMs: number): RateLimitedException {
  return new RateLimitedException(
    'Too many failed authentications from this address; retry after the given delay',
    retryAfterMs,
  );
}

/** The presented bearer credential; null when the header is malformed. A missing header is not a guess: 401 at once. */
function bearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (!header) {
    throw new UnauthenticatedException('Send an Authorization: Bearer <key> header');
  }
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(header);
  return match?.[1] ?? null;
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
