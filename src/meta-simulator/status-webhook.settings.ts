import type {
  MetaSimulatorOptions,
  StatusDelaysMs,
  StatusWebhookMode,
  StatusWebhookSettings,
} from './meta-simulator.types';

/** The status-webhook settings a simulator starts with (and returns to on reset): delays default to 0. */
export function configuredStatusSettings(
  options: Pick<MetaSimulatorOptions, 'statusWebhooks' | 'statusDelaysMs'>,
): StatusWebhookSettings {
  const delays = options.statusDelaysMs ?? {};
  return {
    mode: options.statusWebhooks ?? 'failed',
    delaysMs: { sent: delays.sent ?? 0, delivered: delays.delivered ?? 0, read: delays.read ?? 0 },
  };
}

/** Changes the settings in place; throws, changing nothing, for an unknown mode or a bad delay. */
export function updateStatusSettings(
  settings: StatusWebhookSettings,
  mode: StatusWebhookMode,
  delaysMs: Partial<StatusDelaysMs>,
): void {
  if (!['all', 'failed', 'none'].includes(mode)) {
    throw new Error(`Invalid status webhook mode ${String(mode)}; all, failed or none`);
  }
  for (const [name, ms] of Object.entries(delaysMs)) {
    if (!['sent', 'delivered', 'read'].includes(name) || typeof ms !== 'number' || !(ms >= 0)) {
      throw new Error('Status delays are { sent?, delivered?, read? } in milliseconds ≥ 0');
    }
  }
  settings.mode = mode;
  Object.assign(settings.delaysMs, delaysMs);
}
