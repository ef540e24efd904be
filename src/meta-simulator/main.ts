import { MetaSimulator } from './meta-simulator';
import { SIM_DEMO_IDS, SIM_DEV_APP_SECRET, SIM_SANDBOX_STATUS_DELAYS_MS } from './meta-simulator.constants';

/** The project bans console.*; a one-line logger on stdout is all this entry point needs. */
function log(message: string): void {
  process.stdout.write(`[meta-sim] ${message}\n`);
}

/**
 * Standalone entry (`npm run meta-sim`): serves the simulator, seeds one demo business/WABA/number and
 * prints how to reach them. Configured through META_SIM_PORT, META_SIM_HOST, META_APP_ID,
 * META_APP_SECRET, META_SYSTEM_USER_TOKEN, META_SIM_WEBHOOK_URL, META_SIM_LATENCY_MS and
 * META_SIM_STATUS_WEBHOOKS (`all`, the default, with sandbox mode's human-scale delays; `failed`; `none`).
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.META_SIM_PORT ?? 4010);
  const host = env.META_SIM_HOST ?? '127.0.0.1';
  const latencyMs = Number(env.META_SIM_LATENCY_MS ?? 0);
  const appId = env.META_APP_ID ?? SIM_DEMO_IDS.appId;
  const usesDevSecret = env.META_APP_SECRET === undefined;
  const statusWebhooks = env.META_SIM_STATUS_WEBHOOKS ?? 'all';
  if (statusWebhooks !== 'all' && statusWebhooks !== 'failed' && statusWebhooks !== 'none') {
    throw new Error('META_SIM_STATUS_WEBHOOKS must be all, failed or none');
  }
  const simulator = new MetaSimulator({
    appId,
    appSecret: env.META_APP_SECRET ?? SIM_DEV_APP_SECRET,
    systemUserToken: env.META_SYSTEM_USER_TOKEN || undefined,
    webhookUrl: env.META_SIM_WEBHOOK_URL || undefined,
    latencyMs: Number.isFinite(latencyMs) ? latencyMs : 0,
    statusWebhooks,
    statusDelaysMs: SIM_SANDBOX_STATUS_DELAYS_MS,
  });
  const url = await simulator.start(port, host);
  const demo = simulator.seedDemo();
  log(`Meta Graph API simulator listening on ${url} (any /vNN.N/ prefix; control API under ${url}/_sim/)`);
  log(`app id ${appId}${usesDevSecret ? ' with the built-in dev app secret (set META_APP_SECRET to change it)' : ''}`);
  log(`demo business ${demo.businessId}, WABA ${demo.wabaId}, phone number ${demo.phoneNumberId}`);
  // A local, non-expiring sandbox token that only this process accepts: printing it is the point.
  log(`demo business token: ${demo.token}`);
  log(`webhooks: ${simulator.currentWebhookUrl ?? 'none (set META_SIM_WEBHOOK_URL or PUT /_sim/webhook-url)'}`);

  const shutdown = (signal: string): void => {
    log(`${signal} received, stopping`);
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`[meta-sim] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
