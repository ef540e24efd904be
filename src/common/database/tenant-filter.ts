import { type Dictionary, type EntityManager, Filter } from '@mikro-orm/core';

/** Name of the MikroORM filter that scopes tenant-owned entities to one organization. */
export const TENANT_FILTER = 'tenant';

/** Parameters of the {@link TENANT_FILTER} filter. */
export interface TenantFilterParams {
  organizationId: string;
}

/**
 * Query option that turns the tenant filter off for one query (`em.find(Waba, where, { ...ACROSS_TENANTS })`),
 * for the system paths that legitimately cross organizations. Every use carries a comment saying why.
 * Always spread it: MikroORM writes into the options object it is given, and this one is frozen so that
 * passing it as is fails at once rather than sharing state between queries.
 */
export const ACROSS_TENANTS = Object.freeze({ filters: Object.freeze({ [TENANT_FILTER]: false as const }) });

/**
 * Marks an entity as owned by an organization: a `tenant` filter, on by default, adds
 * `<property> = :organizationId` to every ORM read, update and delete of the entity. Its condition takes
 * a parameter, so MikroORM throws "No arguments provided for filter 'tenant'" for a query made where no
 * organization is set (`em.setFilterParams` / {@link scopeToOrganization}) and that does not opt out with
 * {@link ACROSS_TENANTS}: a forgotten scope fails loudly instead of reading every tenant. Raw SQL and
 * query builders are not filtered; they keep their explicit `organization_id` conditions.
 */
export function TenantScoped(property: 'organization' | 'organizationId') {
  return Filter({
    name: TENANT_FILTER,
    default: true,
    // Declaring the parameter is what makes MikroORM refuse to run the query without it.
    cond: (args: Dictionary) => {
      const { organizationId } = args as Partial<TenantFilterParams>;
      if (typeof organizationId !== 'string' || organizationId.length === 0) {
        throw new Error(`The '${TENANT_FILTER}' filter needs a non-empty organizationId`);
      }
      return { [property]: organizationId };
    },
  });
}

/**
 * Scopes every ORM query of the current context (the request's EntityManager, or a job's fork) to one
 * organization. Forks made afterwards (`em.fork()`, `em.transactional()`) inherit the scope.
 */
export function scopeToOrganization(em: EntityManager, organizationId: string): void {
  const params: TenantFilterParams = { organizationId };
  em.setFilterParams(TENANT_FILTER, params);
}
