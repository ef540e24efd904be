import { rm } from 'node:fs/promises';

/** Stops the embedded PostgreSQL started by the global setup and removes its throwaway cluster. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__EMBEDDED_DATABASE__?.stop();
  if (globalThis.__EMBEDDED_DATABASE_DIR__) {
    await rm(globalThis.__EMBEDDED_DATABASE_DIR__, { recursive: true, force: true });
  }
}
