import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Folders whose files make up the build, apart from tests (the console's sources are under src/console). */
export const BUILD_INPUT_DIRS = ['src', 'config', 'migrations'];
/** Root files that change what the build produces: compiler and Nest CLI settings, the exact dependencies. */
export const BUILD_INPUT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];
/** Records the fingerprint of the inputs of the build in dist/; `nest build` empties dist/ and so removes it. */
export const BUILD_STAMP = join('dist', '.build-stamp');
/** What a finished build leaves: the service's entry point and the console's page. */
const BUILD_OUTPUTS = [join('dist', 'src', 'main.js'), join('dist', 'console', 'index.html')];
const CONSOLE_VITE_CONFIG = join('src', 'console', 'vite.config.mts');

/** Options of {@link buildIfStale}. */
export interface BuildIfStaleOptions {
  /** Build even when dist/ is up to date (`npm run build`). */
  force?: boolean;
  /** Produces dist/; rejects when the build fails. */
  build: () => Promise<void>;
  log?: (line: string) => void;
}

/**
 * A SHA-256 over the path and content of every build input: the files under src/, config/ and migrations/
 * except specs, and the root files that configure the build or pin the dependencies. Content rather than
 * modification times, which a checkout or a copy changes without changing anything.
 */
export async function fingerprintBuildInputs(projectDir: string): Promise<string> {
  const files: string[] = [];
  for (const dir of BUILD_INPUT_DIRS) {
    files.push(...(await listFiles(projectDir, dir)).filter((file) => !file.endsWith('.spec.ts')));
  }
  files.sort();
  files.push(...BUILD_INPUT_FILES);
  const hash = createHash('sha256');
  for (const file of files) {
    const content = await readFile(join(projectDir, file)).catch(() => null);
    // Lengths delimit the entries, so no two different sets of files hash alike.
    hash.update(`${file.length}:${file}:${content === null ? 'absent' : content.length}:`);
    if (content !== null) {
      hash.update(content);
    }
  }
  return hash.digest('hex');
}

async function listFiles(projectDir: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(projectDir, dir), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      files.push(...(await listFiles(projectDir, path)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/**
 * Builds unless dist/ was built from exactly the current inputs ({@link fingerprintBuildInputs}): a warm
 * `npm start` then skips the ~30 s `nest build` and the console's build. A changed, added or deleted source, a changed tsconfig or
 * lockfile, a removed dist/ or a build that failed halfway all mean a new build. Returns whether it built.
 */
export async function buildIfStale(projectDir: string, options: BuildIfStaleOptions): Promise<boolean> {
  const log = options.log ?? (() => undefined);
  // Taken before building: a file edited during the build leaves a stamp that no longer matches.
  const fingerprint = await fingerprintBuildInputs(projectDir);
  const stamp = await readFile(join(projectDir, BUILD_STAMP), 'utf8').catch(() => null);
  if (
    !options.force &&
    stamp?.trim() === fingerprint &&
    BUILD_OUTPUTS.every((output) => existsSync(join(projectDir, output)))
  ) {
    log('dist/ was built from the current sources: no build needed');
    return false;
  }
  log(options.force ? 'Building' : 'Building: the sources, their configuration or the dependencies changed');
  await options.build();
  const partial = `${join(projectDir, BUILD_STAMP)}.${process.pid}`;
  await writeFile(partial, `${fingerprint}\n`);
  await rename(partial, join(projectDir, BUILD_STAMP));
  return true;
}

/** Runs `nest build` in the project, with its output on this terminal. */
export function nestBuild(projectDir: string): Promise<void> {
  return runNode(projectDir, 'nest build', [require.resolve('@nestjs/cli/bin/nest.js'), 'build']);
}

/** Builds the console (src/console) into dist/console with vite; after `nest build`, which empties dist/. */
export function consoleBuild(projectDir: string): Promise<void> {
  // vite's exports map hides its bin file; its package.json is exported and sits beside it.
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  return runNode(projectDir, 'the console build (vite)', [vite, 'build', '--config', CONSOLE_VITE_CONFIG]);
}

/** The service, then the console. */
export async function buildAll(projectDir: string): Promise<void> {
  await nestBuild(projectDir);
  await consoleBuild(projectDir);
}

function runNode(projectDir: string, name: string, args: string[]): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectDir, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolveBuild() : reject(new Error(`${name} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

if (require.main === module) {
  // `npm start`'s prestart runs this; `npm run build` runs it with --force.
  const projectDir = resolve(__dirname, '..', '..', '..');
  buildIfStale(projectDir, {
    force: process.argv.includes('--force'),
    build: () => buildAll(projectDir),
    log: (line) => process.stdout.write(`${line}\n`),
  }).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
