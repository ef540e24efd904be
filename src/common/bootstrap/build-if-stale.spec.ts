import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { BUILD_STAMP, buildIfStale } from 'src/common/bootstrap/build-if-stale';

describe(buildIfStale.name, () => {
  let projectDir: string;
  let builds: number;

  async function put(file: string, content: string): Promise<void> {
    await mkdir(dirname(join(projectDir, file)), { recursive: true });
    await writeFile(join(projectDir, file), content);
  }

  // Stands in for nest build and the console's: empties dist/ and writes the entry point and the console's
  // page, as the real ones do.
  async function build(): Promise<void> {
    builds++;
    await rm(join(projectDir, 'dist'), { recursive: true, force: true });
    await put('dist/src/main.js', `// build ${builds}\n`);
    await put('dist/console/index.html', `<!-- build ${builds} -->\n`);
  }

  const sut = (force = false): Promise<boolean> => buildIfStale(projectDir, { build, force });

  beforeEach(async () => {
    projectDir = await mkdtemp(join(tmpdir(), 'build-if-stale-'));
    builds = 0;
    await put('src/main.ts', 'bootstrap();\n');
    await put('src/main.spec.ts', "it('should start');\n");
    await put('config/app.config.ts', 'export default {};\n');
    await put('migrations/Migration1.ts', 'export class Migration1 {}\n');
    await put('tsconfig.json', '{}\n');
    await put('package-lock.json', '{"lockfileVersion":3}\n');
    await sut();
  });

  afterEach(async () => {
    await rm(projectDir, { recursive: true, force: true });
  });

  it('should build a checkout that was never built and stamp the result', async () => {
    expect(builds).toBe(1);
    expect(await readFile(join(projectDir, BUILD_STAMP), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('should not build again when nothing changed', async () => {
    await expect(sut()).resolves.toBe(false);
    expect(builds).toBe(1);
  });

  it('should not build again when only a spec changed', async () => {
    await put('src/main.spec.ts', "it('should start quickly');\n");

    await expect(sut()).resolves.toBe(false);
  });

  it.each([
    ['a changed source', () => put('src/main.ts', 'void bootstrap();\n')],
    ['an added source', () => put('src/extra.ts', 'export {};\n')],
    ['a deleted migration', () => rm(join(projectDir, 'migrations/Migration1.ts'))],
    ['a changed configuration file', () => put('config/app.config.ts', 'export default { port: 1 };\n')],
    ['a changed tsconfig.json', () => put('tsconfig.json', '{"compilerOptions":{}}\n')],
    ['an added tsconfig.build.json', () => put('tsconfig.build.json', '{}\n')],
    ['a changed package-lock.json', () => put('package-lock.json', '{"lockfileVersion":3,"packages":{}}\n')],
    ['a deleted dist/', () => rm(join(projectDir, 'dist'), { recursive: true })],
    ['a missing entry point', () => rm(join(projectDir, 'dist/src/main.js'))],
    ['a changed console source', () => put('src/console/main.tsx', 'render(<App />);\n')],
    ['a missing console build', () => rm(join(projectDir, 'dist/console'), { recursive: true })],
  ])('should build again after %s', async (_change, change) => {
    await change();

    await expect(sut()).resolves.toBe(true);
    expect(builds).toBe(2);
    await expect(sut()).resolves.toBe(false);
  });

  it('should build again at the next start when a build failed halfway', async () => {
    await put('src/main.ts', 'broken(\n');
    const failing = buildIfStale(projectDir, {
      build: async () => {
        await rm(join(projectDir, 'dist'), { recursive: true, force: true });
        await put('dist/src/main.js', '// partial\n');
        throw new Error('nest build failed (exit code 1)');
      },
    });
    await expect(failing).rejects.toThrow('nest build failed');

    await expect(sut()).resolves.toBe(true);
  });

  it('should build when forced even though nothing changed', async () => {
    await expect(sut(true)).resolves.toBe(true);
    expect(builds).toBe(2);
  });
});
