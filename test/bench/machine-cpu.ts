import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

import type { Pool } from 'pg';

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

/** `/proc/<pid>/stat`'s fields after the command (state, ppid, …; utime, stime, cutime, cstime are 11–14), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The PostgreSQL server's process (the postmaster): the parent of one of `pool`'s backends. */
export async function postmasterPid(pool: Pool): Promise<number> {
  const backend = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  return Number(statFields(backend)?.[1] ?? 0);
}

/**
 * CPU time of a PostgreSQL server so far, in ms: its postmaster, the children alive now (backends, WAL writer,
 * checkpointer…) and those that ended (the postmaster's cutime and cstime count the children it reaped). Two
 * readings around a phase give what the phase cost the database, backends that came and went included.
 */
export function postgresCpuMs(postmaster: number): number {
  let ticks = 0;
  const own = statFields(postmaster);
  if (own) {
    ticks += Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === postmaster) {
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  }
  return (ticks * 1000) / USER_HZ;
}
