import type { FaultRule } from './meta-simulator.types';

interface ActiveFault {
  id: string;
  rule: FaultRule;
  /** Hits left; null = unlimited. */
  remaining: number | null;
  matches: (path: string) => boolean;
}

/**
 * Compiles a path pattern: empty or `*` matches everything, a pattern containing `*` is a glob over the
 * whole path (`*` = any characters), anything else matches as a substring.
 */
function compilePattern(pattern: string | undefined): (path: string) => boolean {
  if (!pattern || pattern === '*') {
    return () => true;
  }
  if (!pattern.includes('*')) {
    return (path) => path.includes(pattern);
  }
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return (path) => regex.test(path);
}

/** Fault rules and latency settings, matched per Graph request (first matching rule wins). */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private latencies: Array<{ ms: number; matches: (path: string) => boolean }> = [];
  private sequence = 0;

  constructor(private defaultLatencyMs: number) {}

  add(rule: FaultRule): string {
    this.sequence += 1;
    const id = `fault_${this.sequence}`;
    this.faults.push({ id, rule, remaining: rule.times ?? null, matches: compilePattern(rule.path) });
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  /** Active rules with their remaining hits. */
  list(): Array<FaultRule & { id: string; remaining: number | null }> {
    return this.faults.map((fault) => ({ ...fault.rule, id: fault.id, remaining: fault.remaining }));
  }

  /** The first rule matching the request, consuming one of its hits. */
  take(method: string, path: string): FaultRule | undefined {
    for (const fault of this.faults) {
      if (fault.rule.method && fault.rule.method.toUpperCase() !== method.toUpperCase()) {
        continue;
      }
      if (!fault.matches(path)) {
        continue;
      }
      if (fault.remaining !== null) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) {
          this.faults = this.faults.filter((other) => other !== fault);
        }
      }
      return fault.rule;
    }
    return undefined;
  }

  /** Sets the latency of every call, or of calls matching `pathPattern` (the latest setting wins). */
  setLatency(ms: number, pathPattern?: string): void {
    if (pathPattern === undefined || pathPattern === '' || pathPattern === '*') {
      this.defaultLatencyMs = ms;
      this.latencies = [];
      return;
    }
    this.latencies.unshift({ ms, matches: compilePattern(pathPattern) });
  }

  latencyFor(path: string): number {
    for (const latency of this.latencies) {
      if (latency.matches(path)) {
        return latency.ms;
      }
    }
    return this.defaultLatencyMs;
  }

  reset(defaultLatencyMs: number): void {
    this.faults = [];
    this.latencies = [];
    this.defaultLatencyMs = defaultLatencyMs;
  }
}
