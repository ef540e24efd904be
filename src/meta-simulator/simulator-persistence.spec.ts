import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MetaSimulator } from './meta-simulator';
import { SimulatorPersistence } from './simulator-persistence';

const APP_ID = '333444555666777';

describe(SimulatorPersistence.name, () => {
  let dir: string;
  let file: string;
  let lines: string[];

  const create = (intervalMs = 20): { simulator: MetaSimulator; persistence: SimulatorPersistence } => {
    const persistence = new SimulatorPersistence({ file, log: (line) => lines.push(line), intervalMs });
    const simulator = new MetaSimulator({
      appId: APP_ID,
      appSecret: 'persistence-secret',
      systemUserToken: 'SYSTEM_TOKEN_PERSISTENCE',
      onStateChange: () => persistence.schedule(),
    });
    persistence.attach(simulator);
    return { simulator, persistence };
  };

  const waitForFile = async (): Promise<void> => {
    for (let attempt = 0; attempt < 100 && !existsSync(file); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-persistence-'));
    file = join(dir, 'sandbox-simulator.json');
    lines = [];
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write the state after a change, mode 0600, without leaving temp files, and restore it', async () => {
    const first = create();
    const waba = first.simulator.createWaba({ name: 'Persisted' });
    const token = first.simulator.issueToken({ wabaIds: [waba.id], expiresInSeconds: null });
    await waitForFile();
    await first.persistence.close();

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['sandbox-simulator.json']);
    const second = create();
    expect(await second.persistence.restore()).toBe(true);
    expect(second.simulator.getWaba(waba.id)?.name).toBe('Persisted');
    expect(second.simulator.exportState().tokens.map((entry) => entry.token)).toContain(token);
  });

  it('should share one write between changes made within the interval', async () => {
    const { simulator, persistence } = create(60_000);
    simulator.createWaba({ name: 'One' });
    simulator.createWaba({ name: 'Two' });
    expect(existsSync(file)).toBe(false);

    await persistence.flush();
    const written = JSON.parse(await readFile(file, 'utf8')) as { wabas: Array<{ name: string }> };
    expect(written.wabas.map((entry) => entry.name)).toEqual(['One', 'Two']);
  });

  it('should start empty and log a line, never throw, when the file is corrupt or of an unknown version', async () => {
    await writeFile(file, '{"version": 1, "businesses": [', 'utf8');
    const corrupt = create();
    expect(await corrupt.persistence.restore()).toBe(false);
    expect(corrupt.simulator.exportState().wabas).toEqual([]);

    await writeFile(file, JSON.stringify({ version: 99 }), 'utf8');
    const future = create();
    expect(await future.persistence.restore()).toBe(false);

    expect(lines).toEqual([
      expect.stringContaining('was not restored (invalid JSON); starting empty; kept as'),
      expect.stringContaining('was not restored (Unsupported simulator snapshot version 99); starting empty'),
    ]);
    expect(JSON.parse(await readFile(`${file}.invalid`, 'utf8'))).toEqual({ version: 99 });
    expect(existsSync(file)).toBe(false);
  });

  it('should answer false without logging when there is no file yet', async () => {
    const { persistence } = create();
    expect(await persistence.restore()).toBe(false);
    expect(lines).toEqual([]);
  });

  it('should ignore changes after close', async () => {
    const { simulator, persistence } = create();
    await persistence.close();
    await rm(file, { force: true });
    simulator.createWaba({});
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(existsSync(file)).toBe(false);
  });
});
