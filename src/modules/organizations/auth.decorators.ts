import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';

import { type Actor, Actors } from 'src/modules/organizations/actor';

/** How a route authenticates. */
export enum AuthKind {
  /** Organization API key (the default for every route). */
  API_KEY = 'API_KEY',
  /** ADMIN_API_TOKEN. */
  ADMIN = 'ADMIN',
  /** No bearer auth (health, webhooks with their own signature check, docs). */
  PUBLIC = 'PUBLIC',
}

export const AUTH_KIND_KEY = 'auth:kind';

/** No bearer authentication on this route or controller. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_KIND_KEY, AuthKind.PUBLIC);

/** The admin token authenticates this route or controller. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_KIND_KEY, AuthKind.ADMIN);

/** What the guard puts on the request. */
export interface AuthenticatedCaller {
  kind: AuthKind;
  organizationId: string | null;
  apiKeyId: string | null;
}

export interface RequestWithCaller {
  caller?: AuthenticatedCaller;
}

/** The organization ID of the API key that authenticated the request. */
export const CurrentOrganizationId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller?.organizationId) {
    // The guard guarantees this for API-key routes; reaching here means a route is misconfigured.
    throw new Error('CurrentOrganizationId used on a route without API-key authentication');
  }
  return caller.organizationId;
});

/** Who the request acts as, for the audit trail: `api-key:<id>` for an organization key, `admin` for the admin token. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (caller?.kind === AuthKind.ADMIN) {
    return Actors.admin;
  }
  if (!caller?.apiKeyId) {
    // The guard guarantees one of the two on authenticated routes; reaching here means a route is misconfigured.
    throw new Error('CurrentActor used on a public route');
  }
  return Actors.apiKey(caller.apiKeyId);
});
