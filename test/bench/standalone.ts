/**
 * Runs a bench file's `main` when that file is the process's entry point (`ts-node … test/bench/x.bench.ts`):
 * UTC, quiet logs, the test database (an embedded PostgreSQL unless `TEST_ADMIN_DATABASE_URL` names one), which
 * is removed afterwards, and the exit code. Imported by `run.ts`, the same files run as phases instead.
 */
export function runWhenMain(module: NodeModule, main: () => Promise<void>): void {
  if (require.main !== module) {
    return;
  }
  const run = async (): Promise<void> => {
    process.env.TZ = 'UTC';
    process.env.LOG_LEVEL ??= 'silent';
    process.env.TEST_LOG_LEVEL ??= 'silent';
    if (!process.env.TEST_ADMIN_DATABASE_URL) {
      const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
      await setUpTestDatabase();
    }
    try {
      await main();
    } finally {
      await globalThis.__EMBEDDED_DATABASE__?.destroy();
    }
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : 'bench failed'}\n`);
      process.exit(1);
    },
  );
}
