import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, type OnModuleInit } from '@nestjs/common';

import { boundLogText } from 'src/common/logging/describe-error';

// PostgreSQL error fields that can quote the statement or the row: "Failing row contains (…)", a key's
// value, the statement a PL/pgSQL function ran.
const QUOTING_FIELDS = ['detail', 'hint', 'where', 'internalQuery'] as const;

/**
 * Cuts a failed query's error down to PostgreSQL's own message, bounded. MikroORM writes the parameters
 * into the SQL text it sends, and knex prefixes the error message with that text: an insert of a 4 MB
 * payload that failed carried all 4 MB in `message` (and in `stack`, which starts with it), into every log
 * line and wrapper that printed the error. The SQLSTATE stays in `code`, where the problem filter and the
 * logs read it. Mutates `error`: knex raises this same object right after the event.
 */
export function boundQueryError(error: unknown, sql: unknown): void {
  if (!(error instanceof Error)) {
    return;
  }
  let message = error.message;
  if (typeof sql === 'string' && message.startsWith(sql)) {
    message = message.slice(sql.length).replace(/^ - /, '');
  }
  error.message = boundLogText(message);
  const fields = error as unknown as Record<string, unknown>;
  for (const field of QUOTING_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') {
      fields[field] = boundLogText(value);
    }
  }
}

/**
 * Hooks {@link boundQueryError} onto the ORM's knex client, whose `query-error` event fires (synchronously,
 * for transactions too) between the failure and the throw, before MikroORM wraps the error in its
 * DriverException and appends `detail` to the message.
 */
@Injectable()
export class QueryErrorBounds implements OnModuleInit {
  constructor(private readonly orm: MikroORM) {}

  onModuleInit(): void {
    (this.orm.em as EntityManager)
      .getConnection()
      .getKnex()
      .on('query-error', (error: unknown, query: { sql?: unknown } | undefined) => boundQueryError(error, query?.sql));
  }
}
