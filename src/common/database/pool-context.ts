import { AsyncResource } from 'node:async_hooks';

import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, type OnModuleInit } from '@nestjs/common';

/** What this module needs of knex's connection pool (tarn). */
export interface ConnectionPoolMethods {
  acquire(): unknown;
  release(resource: unknown): boolean;
}

const DETACHED = Symbol('detachedFromCallers');

/**
 * Makes a connection pool do its own work (acquire, release, create a connection, start its reaper) in the
 * async context the pool was detached in (the application's start-up), never in the caller's.
 *
 * Every promise, timer and socket records the async context it was created in, with every
 * AsyncLocalStorage store of that moment: the request's MikroORM context (its EntityManager fork and
 * identity map), a use case's scope, the request logger. The pool creates long-lived ones on its callers'
 * behalf: releasing a connection creates the promise of its free slot, which lives until the connection is
 * acquired again (minutes on a quiet pool); a connection created for a request keeps that request's
 * context in its socket for its whole life, and so does the reaper's interval started by the first
 * acquire. Each kept the EntityManager of the last request or transaction that touched its connection,
 * with whatever its identity map held (a round's chunk of WABAs): heap the collector could never free.
 * Awaiting the pool's promise still resumes the caller in its own context.
 */
export function detachPoolFromCallers(pool: ConnectionPoolMethods): void {
  const tagged = pool as ConnectionPoolMethods & { [DETACHED]?: true };
  if (tagged[DETACHED]) {
    return;
  }
  const scope = new AsyncResource('DatabaseConnectionPool');
  const acquire = pool.acquire.bind(pool);
  const release = pool.release.bind(pool);
  pool.acquire = () => scope.runInAsyncScope(acquire);
  pool.release = (resource) => scope.runInAsyncScope(release, null, resource);
  tagged[DETACHED] = true;
}

/** Detaches the ORM's connection pool from its callers' async contexts at start-up ({@link detachPoolFromCallers}). */
@Injectable()
export class PoolContextIsolation implements OnModuleInit {
  constructor(private readonly orm: MikroORM) {}

  onModuleInit(): void {
    const client = (this.orm.em as EntityManager).getConnection().getKnex().client as {
      pool?: ConnectionPoolMethods;
    };
    if (client.pool) {
      detachPoolFromCallers(client.pool);
    }
  }
}
