import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { buildIfStale, nestBuild } from 'src/common/bootstrap/build-if-stale';
import { findFreePort } from 'src/common/database/embedded-postgres';
import type { SyncRoundResult } from 'src/modules/sync/sync-round.types';

const ROOT = resolve(__dirname, '..', '..');
const START_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 15 * 60_000;
const MIB = 1024 * 1024;
// USER_HZ: Linux reports /proc times in 1/100 s on every architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/** One service instance of a {@link Fleet}: its own Node process running the production build. */
export interface FleetInstance {
  index: number;
  pid: number;
  url: string;
  child: ChildProcess;
}

/** What the fleet's processes used during one named phase: peak resident memory (MiB) and CPU time. */
export interface FleetPhaseFigures {
  phase: string;
  instances: number;
  /** The highest VmRSS any one instance reached. */
  maxInstanceMiB: number;
  /** The highest sum of the instances' VmRSS at one sample. */
  totalMiB: number;
  samples: number;
  /**
   * CPU time (user + system) the instances used during the phase, all together, in seconds: unlike wall
   * time it barely depends on what else the machine is doing, so per-request figures compare across runs.
   */
  cpuSeconds: number;
  /** Where the memory was when the phase ended (the largest of each figure over the instances), in MiB. */
  atEnd?: { heapUsedMiB: number; heapTotalMiB: number; newSpaceMiB: number; externalMiB: number };
}

interface MemoryUsageReply {
  heapUsed: number;
  heapTotal: number;
  external: number;
  newSpace: number;
}

/** Builds dist/ unless it was built from the current sources (as `npm start`'s prestart does). */
export async function ensureBuild(log: (line: string) => void): Promise<boolean> {
  return buildIfStale(ROOT, { build: () => nestBuild(ROOT), log });
}

/** CPU time (user + system) of a process from /proc, in seconds, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** VmRSS of a process from /proc (MiB), or null when it is gone or /proc is not there. */
export function residentMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * N instances of the service, each its own Node process started from the production build as `npm start`
 * starts it (`node <its heap flags> dist/src/main.js`, no ts-node) on one database, with the environment
 * `env` (database, keys, the simulator's URL…). The Meta simulator and the load generators stay in the bench process and reach
 * the instances over HTTP. While running, the fleet samples every instance's VmRSS and keeps the peak per
 * named {@link phase}. Each instance also loads test/bench/fleet-child-hook.js, which lets the bench run
 * one periodic sync-round tick ({@link syncRound}) or kick the inbox worker ({@link kickInbox}) in it.
 */
export class Fleet {
  readonly peaks: FleetPhaseFigures[] = [];
  private current: FleetPhaseFigures | null = null;
  private cpuAtPhaseStart = 0;
  private readonly pending: Array<Promise<void>> = [];
  private readonly timer: NodeJS.Timeout;
  private nextCommandId = 0;

  private constructor(readonly instances: FleetInstance[]) {
    this.timer = setInterval(() => this.sample(), 150);
    this.timer.unref();
  }

  /**
   * Starts `count` instances in parallel and resolves once every one listens. Each runs with the Node flags
   * of `npm start` ({@link startScriptNodeFlags}) unless `nodeFlags` replaces them (a paired measurement of
   * the flags themselves).
   */
  static async start(
    count: number,
    env: Record<string, string>,
    nodeFlags: readonly string[] = startScriptNodeFlags(),
  ): Promise<Fleet> {
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, index) => startInstance(index, env, nodeFlags)),
    );
    const instances = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await Promise.all(instances.map((instance) => stopInstance(instance)));
      throw failed.reason;
    }
    return new Fleet(instances);
  }

  get urls(): string[] {
    return this.instances.map((instance) => instance.url);
  }

  get url(): string {
    return this.instances[0].url;
  }

  /**
   * Starts a phase (ending the previous one): memory peaks and CPU time are kept per phase. A name used before
   * continues that phase's figures (peaks kept, CPU time added), so that phases measured in alternating slices
   * report one figure each.
   */
  phase(name: string): void {
    this.endPhase();
    const earlier = this.peaks.find((peak) => peak.phase === name);
    this.current = earlier ?? {
      phase: name,
      instances: this.instances.length,
      maxInstanceMiB: 0,
      totalMiB: 0,
      samples: 0,
      cpuSeconds: 0,
    };
    if (!earlier) {
      this.peaks.push(this.current);
    }
    this.cpuAtPhaseStart = this.cpuTotal();
    this.sample();
  }

  /** The figures of the phase named `name` (the last of that name), once it has ended. */
  phaseFigures(name: string): FleetPhaseFigures | undefined {
    return [...this.peaks].reverse().find((peak) => peak.phase === name && peak !== this.current);
  }

  /**
   * One tick of the periodic re-sync on each of `instances` (all by default) at once, as their schedulers
   * would run it; resolves with each instance's result once all have ended.
   */
  async syncRound(instances: FleetInstance[] = this.instances): Promise<SyncRoundResult[]> {
    const results = await Promise.all(
      instances.map((instance) => this.command<SyncRoundResult | null>(instance, 'sync-round')),
    );
    return results.map((result, index) => {
      if (!result) {
        throw new Error(`The sync round failed on instance ${instances[index].index} (see its log)`);
      }
      return result;
    });
  }

  /** Asks every instance's inbox worker for work now, as storing a delivery does. */
  async kickInbox(): Promise<void> {
    await Promise.all(this.instances.map((instance) => this.command(instance, 'kick-inbox')));
  }

  /** Stops (`paused`) or resumes every instance's inbox worker claims, to measure intake alone. */
  async pauseInbox(paused: boolean): Promise<void> {
    await Promise.all(
      this.instances.map((instance) => this.command(instance, 'pause-inbox', paused ? { pause: 'yes' } : {})),
    );
  }

  /**
   * Has each instance write a heap snapshot into `dir` (V8 collects garbage first, so it holds the live heap
   * only); resolves with their paths. For telling what a phase leaves retained.
   */
  async heapSnapshots(dir: string): Promise<string[]> {
    return Promise.all(this.instances.map((instance) => this.command<string>(instance, 'heap-snapshot', { dir })));
  }

  /**
   * Claims the inbox workers of all instances made, and the rows they took, since the first time this was
   * asked (the first call starts counting and answers zeros).
   */
  async inboxClaims(): Promise<{ claims: number; rows: number }> {
    const counts = await Promise.all(
      this.instances.map((instance) => this.command<{ claims: number; rows: number }>(instance, 'inbox-claims')),
    );
    return counts.reduce((sum, count) => ({ claims: sum.claims + count.claims, rows: sum.rows + count.rows }));
  }

  /**
   * The statements the instances sent through `pg` since the previous ask, summed by their first 70 characters,
   * and the characters of their texts and parameters (the first call starts counting and answers nothing).
   */
  async pgStatements(): Promise<{ counts: Map<string, number>; chars: number }> {
    const replies = await Promise.all(
      this.instances.map((instance) =>
        this.command<{ counts: Record<string, number>; chars: number }>(instance, 'pg-statements'),
      ),
    );
    const counts = new Map<string, number>();
    for (const [key, count] of replies.flatMap((reply) => Object.entries(reply.counts))) {
      counts.set(key, (counts.get(key) ?? 0) + count);
    }
    return { counts, chars: replies.reduce((sum, reply) => sum + reply.chars, 0) };
  }

  /** Starts V8's CPU profiler in the first instance; {@link stopCpuProfile} writes what it sampled. */
  async startCpuProfile(): Promise<void> {
    await this.command(this.instances[0], 'cpu-profile', { start: 'yes' });
  }

  /** Stops the first instance's CPU profiler and writes its profile to `path` (a `.cpuprofile` for DevTools). */
  async stopCpuProfile(path: string): Promise<void> {
    await this.command(this.instances[0], 'cpu-profile', { path: resolve(path) });
  }

  /** Stops every instance (SIGTERM, then SIGKILL after 10 s) and the sampling. */
  async stop(): Promise<void> {
    this.endPhase();
    this.current = null;
    clearInterval(this.timer);
    await Promise.all(this.pending);
    await Promise.all(this.instances.map((instance) => stopInstance(instance)));
  }

  private command<T>(instance: FleetInstance, command: string, details: Record<string, string> = {}): Promise<T> {
    const id = this.nextCommandId++;
    return new Promise<T>((resolveCommand, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`${command} timed out on instance ${instance.index}`)),
        COMMAND_TIMEOUT_MS,
      );
      const onMessage = (message: { id?: number; result?: T; error?: string }): void => {
        if (message.id === id) {
          finish(message.error === undefined ? null : new Error(message.error), message.result);
        }
      };
      const onExit = (): void => finish(new Error(`Instance ${instance.index} exited during ${command}`));
      const finish = (error: Error | null, result?: T): void => {
        clearTimeout(timer);
        instance.child.off('message', onMessage);
        instance.child.off('exit', onExit);
        if (error) {
          reject(error);
        } else {
          resolveCommand(result as T);
        }
      };
      instance.child.on('message', onMessage);
      instance.child.once('exit', onExit);
      instance.child.send({ ...details, id, command });
    });
  }

  private endPhase(): void {
    const ended = this.current;
    if (!ended) {
      return;
    }
    this.sample();
    ended.cpuSeconds += this.cpuTotal() - this.cpuAtPhaseStart;
    const largest = (usages: MemoryUsageReply[], key: keyof MemoryUsageReply): number =>
      Math.max(...usages.map((usage) => usage[key])) / MIB;
    this.pending.push(
      Promise.all(this.instances.map((instance) => this.command<MemoryUsageReply>(instance, 'memory-usage'))).then(
        (usages) => {
          ended.atEnd = {
            heapUsedMiB: largest(usages, 'heapUsed'),
            heapTotalMiB: largest(usages, 'heapTotal'),
            newSpaceMiB: largest(usages, 'newSpace'),
            externalMiB: largest(usages, 'external'),
          };
        },
        // A figure for the report only: an instance that cannot answer leaves it out.
        () => undefined,
      ),
    );
  }

  private cpuTotal(): number {
    return this.instances.reduce((sum, instance) => sum + (cpuSeconds(instance.pid) ?? 0), 0);
  }

  private sample(): void {
    if (!this.current) {
      return;
    }
    let total = 0;
    for (const instance of this.instances) {
      const rss = residentMiB(instance.pid);
      if (rss !== null) {
        total += rss;
        this.current.maxInstanceMiB = Math.max(this.current.maxInstanceMiB, rss);
      }
    }
    this.current.totalMiB = Math.max(this.current.totalMiB, total);
    this.current.samples += 1;
  }
}

/**
 * The Node flags `npm start` runs the service with (package.json's `start` script, `node <flags>
 * dist/src/main.js`): the bench's instances must run as the service does, or their RSS would say nothing
 * about it. Throws when the script has another shape, so that a change to it cannot silently part them.
 */
export function startScriptNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = manifest.scripts.start.trim().split(/\s+/);
  const entry = words.at(-1);
  if (
    words[0] !== 'node' ||
    entry !== 'dist/src/main.js' ||
    words.slice(1, -1).some((word) => !word.startsWith('--'))
  ) {
    throw new Error(`package.json's start script is not "node [--flags] dist/src/main.js": ${manifest.scripts.start}`);
  }
  return words.slice(1, -1);
}

async function startInstance(
  index: number,
  env: Record<string, string>,
  nodeFlags: readonly string[],
): Promise<FleetInstance> {
  const port = await findFreePort();
  // BENCH_SERVICE_CPU_PROF=<dir>: each instance writes a V8 CPU profile there when it stops (the bench's own
  // profile would not show the service, which runs in these processes).
  const profileDir = process.env.BENCH_SERVICE_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      ...profile,
      '--require',
      resolve(__dirname, 'fleet-child-hook.js'),
      resolve(ROOT, 'dist', 'src', 'main.js'),
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TZ: 'UTC',
        PORT: String(port),
        HOST: '127.0.0.1',
        MIGRATE_ON_START: 'false',
        SCHEDULER_ENABLED: 'false',
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    // Only the start-up lines matter (the logger is silent); a bounded tail is kept for error messages.
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stderr?.on('data', keep);
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => fail(new Error(`Instance ${index} did not start: ${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      keep(chunk);
      const match = /listening on (http:\/\/[^/\s]+)/.exec(output);
      if (match && child.pid !== undefined) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolveStart({ index, pid: child.pid, url: match[1], child });
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`Instance ${index} exited with ${code}: ${output}`));
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopInstance(instance: FleetInstance): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory in MiB of this (the bench's) process. */
export function harnessResidentMiB(): number {
  return process.memoryUsage().rss / MIB;
}
