import { isJsonObject } from './http-io.util';
import type { JsonValue } from './meta-simulator.types';
import type { SimulatorStoreSnapshot } from './simulator-state.store';

/** Version of {@link SimulatorSnapshot}; bump it when the shape changes incompatibly. */
export const SIMULATOR_SNAPSHOT_VERSION = 1;

/**
 * The simulator's world as plain JSON (businesses, WABAs, numbers, tokens, PINs, terms statuses,
 * subscriptions…): what `MetaSimulator.exportState` returns and `MetaSimulator.importState` accepts.
 * Not included: request log, faults, latency, webhook deliveries, signup codes, rate counters.
 */
export interface SimulatorSnapshot extends SimulatorStoreSnapshot {
  version: typeof SIMULATOR_SNAPSHOT_VERSION;
  /** App the state belongs to; a snapshot of another app is refused. */
  appId: string;
  /** ISO time of the export. */
  exportedAt: string;
  /** WABA id → MM status restored on REINSTATE. */
  mmBeforeInactive: Record<string, string>;
}

const SNAPSHOT_ARRAYS = ['businesses', 'wabas', 'phoneNumbers', 'subscriptions', 'recipients', 'tokens'] as const;

/**
 * The snapshot, once its version, app and top-level shape are checked. Throws for an unknown version,
 * another app's snapshot or a malformed one, so that an import never half-applies.
 */
export function checkedSnapshot(snapshot: unknown, appId: string): SimulatorSnapshot {
  if (!isJsonObject(snapshot as JsonValue)) {
    throw new Error('Simulator snapshot is not an object');
  }
  const candidate = snapshot as Partial<SimulatorSnapshot> & Record<string, unknown>;
  if (candidate.version !== SIMULATOR_SNAPSHOT_VERSION) {
    throw new Error(`Unsupported simulator snapshot version ${String(candidate.version)}`);
  }
  if (candidate.appId !== appId) {
    throw new Error('Simulator snapshot belongs to another Meta app id');
  }
  for (const key of SNAPSHOT_ARRAYS) {
    if (!Array.isArray(candidate[key])) {
      throw new Error(`Simulator snapshot is malformed: "${key}" is not an array`);
    }
  }
  for (const key of ['registrations', 'mmBeforeInactive'] as const) {
    if (!isJsonObject(candidate[key])) {
      throw new Error(`Simulator snapshot is malformed: "${key}" is not an object`);
    }
  }
  if (typeof candidate.phoneSequence !== 'number') {
    throw new Error('Simulator snapshot is malformed: "phoneSequence" is not a number');
  }
  return candidate as SimulatorSnapshot;
}
