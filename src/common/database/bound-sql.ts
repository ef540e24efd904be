import { createHash } from 'node:crypto';

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

/** What node-postgres needs of a pooled connection here. */
interface PooledClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The pool of knex's client (typed `any` by knex). */
interface ConnectionPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** A statement's name (derived from its text, so one name never means two texts) and its `$n` text. */
interface NamedStatement {
  name: string;
  text: string;
}

const statements = new Map<string, NamedStatement>();
// The few texts of the hot reads, their filter combinations included; bounded in case a caller builds more.
const MAX_STATEMENTS = 256;

/**
 * Runs a read on every API request as a named prepared statement with bound parameters. `em.execute` writes
 * the parameters into the SQL text, so PostgreSQL parses and plans each request's statement anew (for the
 * key lookup and the list page, planning took longer than running them); a named statement is parsed once
 * per pooled connection, and after a few executions PostgreSQL keeps its plan if a generic one costs no more.
 *
 * `sql` uses `?` placeholders, as `em.execute` does, and must hold no other `?`. Inside a transaction the
 * read joins it through {@link boundRows} (bound, not named). Errors are converted as `em.execute` converts them.
 */
export async function preparedRead<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  if (em.isInTransaction()) {
    try {
      return await boundRows<T>(em, sql, params);
    } catch (error) {
      throw em.getDriver().convertException(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const statement = named(sql);
  const pool = em.getConnection().getKnex().client as ConnectionPool;
  let client: PooledClient | undefined;
  try {
    client = (await pool.acquireConnection()) as PooledClient;
    const result = await client.query({ name: statement.name, text: statement.text, values: params });
    return result.rows as T[];
  } catch (error) {
    throw em.getDriver().convertException(error instanceof Error ? error : new Error(String(error)));
  } finally {
    if (client) {
      await pool.releaseConnection(client);
    }
  }
}

function named(sql: string): NamedStatement {
  let statement = statements.get(sql);
  if (!statement) {
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    statement = { name: `read_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    if (statements.size >= MAX_STATEMENTS) {
      statements.clear();
    }
    statements.set(sql, statement);
  }
  return statement;
}

/** A raw write with its parameters bound as {@link boundRows} binds them (`?` placeholders). */
export interface BoundWrite {
  sql: string;
  params: unknown[];
}

/**
 * Runs these writes as one statement, on the running transaction's connection (see {@link boundRows}): one
 * alone as it is, several as data-modifying `WITH` clauses of one statement, which PostgreSQL runs each
 * exactly once and to completion, all on the same snapshot (so none of them may read what another writes).
 * Saves the round trips of all but one.
 */
export async function runWrites(em: EntityManager, writes: readonly BoundWrite[]): Promise<void> {
  if (writes.length === 0) {
    return;
  }
  if (writes.length === 1) {
    await boundRows(em, writes[0].sql, writes[0].params);
    return;
  }
  const clauses = writes.map((write, index) => `w${index} AS (${write.sql})`);
  await boundRows(
    em,
    `WITH ${clauses.join(',\n     ')}\nSELECT 1`,
    writes.flatMap((write) => write.params),
  );
}
