import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

// Linux reports /proc/stat in USER_HZ ticks, 100 per second.
const USER_HZ = 100;

/**
 * Busy CPU time of the whole machine so far (all cores, every process: the service, PostgreSQL, the simulator and
 * the bench), in ms; null without /proc/stat. Two readings around a phase give what the phase cost the machine,
 * which on a machine the bench shares with its own database and Meta simulator is the ceiling of a CPU-bound path.
 */
export function machineBusyMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const busy = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return (busy * 1000) / USER_HZ;
  } catch {
    return null;
  }
}

/** The machine's cores. */
export function machineCores(): number {
  return availableParallelism();
}
