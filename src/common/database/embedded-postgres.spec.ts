import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { Client } from 'pg';

import { EmbeddedDatabase, findFreePort } from 'src/common/database/embedded-postgres';
import { EmbeddedDatabaseError } from 'src/common/database/embedded-postgres.error';
import { DEFAULT_SYSTEM_DIR, packagedNativeDir } from 'src/common/database/embedded-postgres.placement';

const asRoot = process.getuid?.() === 0;
const itAsRoot = asRoot ? it : it.skip;
/** The root-only tests initialise up to two clusters each, slow on a busy machine. */
const ROOT_TEST_TIMEOUT_MS = 180_000;

async function query(database: EmbeddedDatabase, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: database.url() });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function startFailure(start: Promise<EmbeddedDatabase>): Promise<EmbeddedDatabaseError> {
  const outcome = await start.then(
    async (database) => {
      await database.destroy();
      return new Error('started');
    },
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(EmbeddedDatabaseError);
  return outcome as EmbeddedDatabaseError;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveServer(server));
  });
}

describe(EmbeddedDatabaseError.name, () => {
  it('should say why, show the details indented and point to DATABASE_URL, without a stack trace', () => {
    const sut = new EmbeddedDatabaseError('the server stopped during start-up (exit code 1)', [
      'FATAL:  could not create lock file\n',
    ]);

    expect(sut.message).toBe(
      [
        'Embedded PostgreSQL could not start: the server stopped during start-up (exit code 1).',
        '  FATAL:  could not create lock file',
        'To use a PostgreSQL server of your own instead, set DATABASE_URL ' +
          '(postgresql://user:password@host:5432/database, in the environment or in .env).',
      ].join('\n'),
    );
    expect(sut.stack).toBe(`EmbeddedDatabaseError: ${sut.message}`);
  });
});

describe(EmbeddedDatabase.name, () => {
  let workDir: string;
  let dataDir: string;
  let clusterDir: string;

  beforeAll(async () => {
    // World-searchable, so a root run keeps these clusters in place (unless TMPDIR itself is private).
    workDir = await mkdtemp(join(tmpdir(), 'embedded-postgres-spec-'));
    await chmod(workDir, 0o755);
    dataDir = join(workDir, 'data');
    const database = await EmbeddedDatabase.start({ dataDir });
    await query(database, 'CREATE TABLE kept (id int)');
    await database.stop();
    clusterDir = database.clusterDir;
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
    if (clusterDir && !clusterDir.startsWith(workDir)) {
      await rm(dirname(clusterDir), { recursive: true, force: true });
    }
  });

  it('should keep the data of the cluster across a stop and a start', async () => {
    const sut = await EmbeddedDatabase.start({ dataDir });
    try {
      expect(await realpath(sut.clusterDir)).toBe(await realpath(join(dataDir, 'cluster')));
      expect(await query(sut, "SELECT to_regclass('kept')::text AS name")).toEqual([{ name: 'kept' }]);
    } finally {
      await sut.stop();
    }
  });

  it('should return from stop() when the server has died on its own', async () => {
    const sut = await EmbeddedDatabase.start({ dataDir });
    const pid = Number.parseInt(await readFile(join(sut.clusterDir, 'postmaster.pid'), 'utf8'), 10);
    process.kill(pid, 'SIGKILL');

    await expect(sut.stop()).resolves.toBeUndefined();
  });

  it('should fail with one message naming the port in use and DATABASE_URL', async () => {
    const port = await findFreePort();
    const occupant = await listen(port);
    try {
      const error = await startFailure(EmbeddedDatabase.start({ dataDir, port }));

      expect(error.message).toMatch(/^Embedded PostgreSQL could not start: the server stopped during start-up/);
      expect(error.message).toContain('Address already in use');
      expect(error.message).toContain(`Port ${port} on 127.0.0.1 is in use by another program.`);
      expect(error.message).toContain('set DATABASE_URL');
    } finally {
      occupant.close();
    }
  });

  it("should relay the server's own reason when it refuses the cluster", async () => {
    const versionFile = join(dataDir, 'cluster', 'PG_VERSION');
    const version = await readFile(versionFile, 'utf8');
    await writeFile(versionFile, '9\n');
    try {
      const error = await startFailure(EmbeddedDatabase.start({ dataDir }));

      expect(error.message).toContain('database files are incompatible with server');
      expect(error.message).toContain('set DATABASE_URL');
    } finally {
      await writeFile(versionFile, version);
    }
  });

  it('should fail with one message, not an uncaught spawn error, when the binaries cannot be run', async () => {
    const nativeDir = join(workDir, 'not-executable');
    await mkdir(join(nativeDir, 'bin'), { recursive: true });
    await writeFile(join(nativeDir, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o644 });
    const systemDir = join(workDir, 'system', 'embedded-postgres');

    const error = await startFailure(
      EmbeddedDatabase.start({ dataDir: join(workDir, 'unused'), nativeDir, systemDir }),
    );

    expect(error.message).toMatch(/^Embedded PostgreSQL could not start: .*PostgreSQL/);
    expect(error.message).toContain('EACCES');
    expect(error.message).toContain('set DATABASE_URL');
  });

  describe('started by root in a folder the postgres account cannot enter', () => {
    let privateDir: string;
    let systemBase: string;
    let systemDir: string;

    beforeAll(async () => {
      if (!asRoot) {
        return;
      }
      privateDir = await mkdtemp(join(workDir, 'private-'));
      await chmod(privateDir, 0o700);
      // Beside the real system dir rather than in TMPDIR, which may be private to root itself.
      await mkdir(dirname(DEFAULT_SYSTEM_DIR), { recursive: true });
      systemBase = await mkdtemp(join(dirname(DEFAULT_SYSTEM_DIR), 'spec-'));
      await chmod(systemBase, 0o755);
      systemDir = join(systemBase, 'embedded-postgres');
    });

    afterAll(async () => {
      if (systemBase) {
        await rm(systemBase, { recursive: true, force: true });
      }
    });

    itAsRoot(
      'should run a copy of the binaries and keep the cluster outside, owned by postgres with mode 0700',
      async () => {
        const nativeDir = join(privateDir, 'native');
        await cp(packagedNativeDir(), nativeDir, { recursive: true, verbatimSymlinks: true });
        const notices: string[] = [];
        const dataDir = join(privateDir, 'app', '.data', 'postgres');

        const sut = await EmbeddedDatabase.start({ dataDir, nativeDir, systemDir, log: (line) => notices.push(line) });
        try {
          const home = dirname(sut.clusterDir);
          expect(await readlink(join(dataDir, 'cluster'))).toBe(sut.clusterDir);
          expect(dirname(home)).toBe(systemDir);
          const info = await lstat(home);
          expect(info.uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
          expect(info.mode & 0o777).toBe(0o700);
          expect(notices).toEqual([expect.stringContaining(`its cluster is kept in ${home}`)]);
          expect(await query(sut, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
          await sut.stop();

          const again = await EmbeddedDatabase.start({ dataDir, nativeDir, systemDir });
          expect(again.clusterDir).toBe(sut.clusterDir);
          await again.destroy();
          expect(existsSync(home)).toBe(false);
          expect(existsSync(dataDir)).toBe(false);
        } finally {
          await sut.stop();
        }
      },
      ROOT_TEST_TIMEOUT_MS,
    );

    itAsRoot(
      'should give a copied data folder a cluster of its own and let a moved one keep its cluster',
      async () => {
        const original = join(privateDir, 'original', 'postgres');
        const first = await EmbeddedDatabase.start({ dataDir: original, systemDir });
        await query(first, 'CREATE TABLE kept (id int)');
        await first.stop();
        const copied = join(privateDir, 'copied', 'postgres');
        await cp(original, copied, { recursive: true, verbatimSymlinks: true });

        const copy = await EmbeddedDatabase.start({ dataDir: copied, systemDir });
        await copy.destroy();
        const moved = join(privateDir, 'moved', 'postgres');
        await mkdir(dirname(moved));
        await rename(original, moved);
        const relocated = await EmbeddedDatabase.start({ dataDir: moved, systemDir });

        try {
          expect(copy.clusterDir).not.toBe(first.clusterDir);
          expect(relocated.clusterDir).toBe(first.clusterDir);
          expect(await query(relocated, "SELECT to_regclass('kept')::text AS name")).toEqual([{ name: 'kept' }]);
          expect(await readFile(join(dirname(first.clusterDir), 'owner'), 'utf8')).toBe(`${join(moved, 'cluster')}\n`);
        } finally {
          await relocated.destroy();
        }
      },
      ROOT_TEST_TIMEOUT_MS,
    );

    itAsRoot(
      'should remove the relocated cluster of a data folder deleted over a day ago',
      async () => {
        const orphan = join(systemDir, 'cluster-0123456789abcdef');
        await mkdir(join(orphan, 'data'), { recursive: true });
        await writeFile(join(orphan, 'owner'), join(privateDir, 'deleted', 'cluster\n'));
        const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
        await utimes(orphan, twoDaysAgo, twoDaysAgo);
        const notices: string[] = [];

        const sut = await EmbeddedDatabase.start({
          dataDir: join(privateDir, 'other', 'postgres'),
          systemDir,
          log: (line) => notices.push(line),
        });
        await sut.destroy();

        expect(existsSync(orphan)).toBe(false);
        expect(notices).toContainEqual(
          expect.stringContaining(`Removed the embedded PostgreSQL cluster of ${privateDir}`),
        );
      },
      ROOT_TEST_TIMEOUT_MS,
    );
  });
});
