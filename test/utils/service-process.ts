import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

import { findFreePort } from 'src/common/database/embedded-postgres';

/** Options of {@link startServiceProcess}. */
export interface ServiceProcessOptions {
  /** The checkout to run (default this one): benchmarks compare two versions on one database. */
  root?: string;
  /** Node options before the script (`--cpu-prof`, …). */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

/**
 * Starts the service as its own Node process (src/main.ts through ts-node) on the given database, with the
 * environment the in-process test apps use (same encryption key and simulator, as createTestApp left them in
 * `process.env`), and resolves once it listens. For tests that must really kill the service (SIGKILL), and
 * benchmarks that measure its CPU time alone.
 */
export async function startServiceProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: ServiceProcessOptions = {},
): Promise<{ child: ChildProcess; url: string }> {
  const root = options.root ?? resolve(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      'src/main.ts',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(await findFreePort()),
        HOST: '127.0.0.1',
        MIGRATE_ON_START: 'false',
        SCHEDULER_ENABLED: 'false',
        LOG_LEVEL: 'silent',
        TS_NODE_TRANSPILE_ONLY: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The service did not start: ${output}`)),
      options.startTimeoutMs ?? 60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^/\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, url: match[1] });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The service exited with ${code}: ${output}`));
    });
  });
}

/** Kills the process with SIGKILL (no shutdown hook runs) and resolves once it is gone. */
export async function killServiceProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGKILL');
  await exited;
}
