import { existsSync } from 'node:fs';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';

import type { MetaSimulator } from './meta-simulator';

/** Options of {@link SimulatorPersistence}. */
export interface SimulatorPersistenceOptions {
  /** JSON file holding the snapshot, e.g. `DATA_DIR/sandbox-simulator.json`. */
  file: string;
  /** One line per notable event (restored, corrupt file, failed write); never carries state or tokens. */
  log: (line: string) => void;
  /** Longest time a change waits before it is written; writes happen at most once per interval. Default 1000. */
  intervalMs?: number;
}

/**
 * Keeps a {@link MetaSimulator}'s state in a file so that sandbox mode survives restarts (and kill -9,
 * losing at most the last interval). Pass {@link schedule} as the simulator's `onStateChange`, then
 * {@link attach} the simulator and {@link restore} before it starts serving. Writes are atomic (temp file
 * + rename) with mode 0600, since the snapshot holds sandbox tokens.
 */
export class SimulatorPersistence {
  private simulator: MetaSimulator | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Serialises writes so an older snapshot never overwrites a newer one. */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SimulatorPersistenceOptions) {}

  /** The simulator whose state is written. */
  attach(simulator: MetaSimulator): void {
    this.simulator = simulator;
  }

  /**
   * Loads the file into the attached simulator. Resolves to true when state was restored; a missing file
   * resolves to false, and so does an unreadable, corrupt or incompatible one (logged and moved aside to
   * `<file>.invalid`; the simulator then starts empty).
   */
  async restore(): Promise<boolean> {
    const simulator = this.requireSimulator();
    if (!existsSync(this.options.file)) {
      return false;
    }
    try {
      const snapshot: unknown = JSON.parse(await readFile(this.options.file, 'utf8'));
      simulator.importState(snapshot);
      return true;
    } catch (error) {
      const reason = error instanceof SyntaxError ? 'invalid JSON' : error instanceof Error ? error.message : 'unknown';
      // Keep the unusable file for inspection instead of letting the next write silently replace it.
      const aside = `${this.options.file}.invalid`;
      const kept = await rename(this.options.file, aside).then(
        () => `; kept as ${aside}`,
        () => '',
      );
      this.options.log(
        `Sandbox simulator state in ${this.options.file} was not restored (${reason}); starting empty${kept}`,
      );
      return false;
    }
  }

  /** Notes a change; the state is written within the interval (changes in between share one write). */
  schedule(): void {
    if (this.closed || this.timer || !this.simulator) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.options.intervalMs ?? 1000);
    // A pending write must not keep a finished process alive; stop() flushes explicitly.
    this.timer.unref();
  }

  /** Writes the current state now (cancelling a pending scheduled write). Never rejects; failures are logged. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const simulator = this.simulator;
    if (!simulator) {
      return this.writing;
    }
    this.writing = this.writing.then(() => this.write(simulator));
    return this.writing;
  }

  /** Writes a last time and ignores later changes (called when the runtime stops). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async write(simulator: MetaSimulator): Promise<void> {
    const temporary = `${this.options.file}.${process.pid}.tmp`;
    try {
      const body = JSON.stringify(simulator.exportState());
      await writeFile(temporary, body, { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, this.options.file);
    } catch (error) {
      this.options.log(
        `Could not write sandbox simulator state to ${this.options.file}: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  private requireSimulator(): MetaSimulator {
    if (!this.simulator) {
      throw new Error('No simulator attached');
    }
    return this.simulator;
  }
}
