const POLL_MS = 25;
const WAIT_LIMIT_MS = 20_000;

/**
 * Polls `read` until `done` holds or a bounded wait runs out, and returns the last value: the caller asserts
 * on it, so a wait that runs out fails on the value, never on a timing.
 */
export async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    value = await read();
  }
  return value;
}
