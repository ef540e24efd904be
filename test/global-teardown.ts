/** Stops the embedded PostgreSQL started by the global setup (its data directory is reused next run). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__EMBEDDED_DATABASE__?.stop();
}
