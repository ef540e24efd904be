/** Stops the embedded PostgreSQL started by the global setup and removes its throwaway cluster. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__EMBEDDED_DATABASE__?.destroy();
}
