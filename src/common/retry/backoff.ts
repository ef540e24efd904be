/**
 * When to try a step again after `attempt` failures (1 for the first): exponential back-off from `baseMs`
 * with up to a second of jitter, so that instances retrying the same kind of step do not stay in step.
 */
export function retryAt(attempt: number, baseMs: number, now: number = Date.now()): Date {
  const delay = baseMs * 2 ** Math.max(0, attempt - 1);
  return new Date(now + delay + Math.floor(Math.random() * 1000));
}
