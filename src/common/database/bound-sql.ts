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

/**
 * {@link boundRows} as a named prepared statement, for the hot statements of a repository whose text is fixed
 * (it may not carry values): PostgreSQL parses and plans it once per connection instead of at every call (a
 * sync round sends the same few texts hundreds of times, its bulk write 7 kB of them), and the driver sends
 * the text only once per connection. Joins the running transaction as {@link boundRows} does; errors are the
 * driver's, as there.
 */
export async function preparedRows<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const runner: Knex = em.getTransactionContext<Knex.Transaction>() ?? em.getConnection().getKnex();
  // knex hands `options` to node-postgres' query config: a `name` makes it a named prepared statement.
  const result = (await runner.raw(sql, params as Knex.RawBinding[]).options({ name: named(sql, 'stmt').name })) as {
    rows: T[];
  };
  return result.rows;
}

/** What node-postgres needs of a pooled connection here. */
interface PooledClient {
  query(
    config: { name: string; text: string; values: unknown[] },
    callback: (error: Error | null, result: { rows: unknown[] }) => void,
  ): void;
}

/** The pool of knex's client (typed `any` by knex). */
export interface ConnectionPool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** A statement's name (derived from its text, so one name never means two texts) and its `$n` text. */
export interface NamedStatement {
  name: string;
  text: string;
}

// Per prefix, keyed by the `?` text itself: no key is built per call.
const statements = { read: new Map<string, NamedStatement>(), stmt: new Map<string, NamedStatement>() };
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
  try {
    return em.isInTransaction()
      ? await boundRows<T>(em, sql, params)
      : await pooledQuery<T>(em.getConnection().getKnex().client as ConnectionPool, named(sql, 'read'), params);
  } catch (error) {
    throw driverException(em, error);
  }
}

/** A driver's error as MikroORM's `em.execute` converts it (its DriverException subclasses). */
export function driverException(em: EntityManager, error: unknown): Error {
  return em.getDriver().convertException(error instanceof Error ? error : new Error(String(error)));
}

/**
 * Runs a named statement on a connection leased from the pool for just that statement, and gives the connection
 * back. Errors are the driver's.
 */
export async function pooledQuery<T>(pool: ConnectionPool, statement: NamedStatement, params: unknown[]): Promise<T[]> {
  const client = (await pool.acquireConnection()) as PooledClient;
  try {
    // The callback form: the driver's own promise and its stack-capturing `catch` cost every API request.
    return await new Promise<T[]>((resolve, reject) => {
      client.query({ name: statement.name, text: statement.text, values: params }, (error, result) =>
        error ? reject(error) : resolve(result.rows as T[]),
      );
    });
  } finally {
    await pool.releaseConnection(client);
  }
}

/** The named prepared statement of a read's `?` text, as {@link preparedRead} runs it. */
export function namedStatement(sql: string): NamedStatement {
  return named(sql, 'read');
}

function named(sql: string, prefix: 'read' | 'stmt'): NamedStatement {
  const known = statements[prefix];
  let statement = known.get(sql);
  if (!statement) {
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    statement = { name: `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    if (known.size >= MAX_STATEMENTS) {
      known.clear();
    }
    known.set(sql, statement);
  }
  return statement;
}

/** A raw write with its parameters bound as {@link boundRows} binds them (`?` placeholders). */
export interface BoundWrite {
  sql: string;
  params: unknown[];
  /**
   * The text is one of a few fixed ones (no value in it): it may run as a named prepared statement
   * ({@link preparedRows}), and so may a statement of several such writes.
   */
  prepared?: boolean;
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
  const run = writes.every((write) => write.prepared) ? preparedRows : boundRows;
  if (writes.length === 1) {
    await run(em, writes[0].sql, writes[0].params);
    return;
  }
  const clauses = writes.map((write, index) => `w${index} AS (${write.sql})`);
  await run(
    em,
    `WITH ${clauses.join(',\n     ')}\nSELECT 1`,
    writes.flatMap((write) => write.params),
  );
}
