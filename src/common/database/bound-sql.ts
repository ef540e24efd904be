import type { Knex } from '@mikro-orm/knex';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs raw SQL with its parameters bound (sent beside the statement, `$1, $2, …`), on the running
 * transaction's connection when the EntityManager is inside one, else on a pooled connection. For the hot
 * statements of a repository: MikroORM's `em.execute` writes every parameter escaped into the SQL text
 * first (its `formatQuery`), which cost a sync round more CPU than the statements' own work, and made
 * PostgreSQL parse the values as literals. Placeholders are `?`; an array is one parameter, a PostgreSQL
 * array (`= ANY(?)`, never `IN (?)`, which would compare with the array's text). Returns the rows. Errors are the driver's (bounded by QueryErrorBounds, which hooks the
 * same knex client), not MikroORM's DriverException subclasses: callers that branch on those keep
 * `em.execute`.
 */
export async function boundRows<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const runner: Knex = em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex();
  const result: { rows: T[] } = await runner.raw(sql, params as Knex.RawBinding[]);
  return result.rows;
}
