import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';

import { preparedRead } from 'src/common/database/bound-sql';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

// A full collection on demand, to tell whether anything still holds an EntityManager once its work ended.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Whether the object behind `ref` survives full collections once the current job has ended. */
async function survives(ref: WeakRef<object>): Promise<boolean> {
  // A WeakRef keeps its target for the rest of the job that created or read it: collect from a later one.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  return ref.deref() !== undefined;
}

describe('The connection pool keeps no caller context (e2e)', () => {
  let sut: TestApp;
  let em: EntityManager;

  beforeAll(async () => {
    sut = await createTestApp();
    em = sut.app.get(EntityManager);
  });

  afterAll(async () => {
    await sut?.close();
  });

  // The pool used to create its free-slot promise (and new connections, and its reaper) in the async context of
  // the caller releasing (acquiring) a connection: until that connection's next use, it kept the context's stores,
  // i.e. the transaction's or the request's EntityManager and everything in its identity map.
  it("should let a finished transaction's EntityManager be collected", async () => {
    let ref: WeakRef<object> | undefined;
    await em.fork().transactional(async (trx) => {
      ref = new WeakRef(trx);
      await trx.execute('SELECT 1');
    });

    expect(await survives(ref as WeakRef<object>)).toBe(false);
  });

  it("should let a finished request's EntityManager be collected after a read on a pooled connection", async () => {
    let ref: WeakRef<object> | undefined;
    await RequestContext.create(em.fork(), async () => {
      const requestEm = RequestContext.getEntityManager() as EntityManager;
      ref = new WeakRef(requestEm);
      await preparedRead(requestEm, 'SELECT 1 AS one WHERE ? = ?', [1, 1]);
    });

    expect(await survives(ref as WeakRef<object>)).toBe(false);
  });

  it('should still resume each caller in its own context', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map((n) =>
        RequestContext.create(em.fork(), async () => {
          const own = RequestContext.getEntityManager();
          await preparedRead(own as EntityManager, 'SELECT ?::int AS n', [n]);
          return RequestContext.getEntityManager() === own;
        }),
      ),
    );

    expect(answers).toEqual([true, true, true]);
  });
});
