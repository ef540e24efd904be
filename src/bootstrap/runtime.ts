import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { isSandbox, validate } from 'config/env.validation';
import { EmbeddedDatabase } from 'src/common/database/embedded-postgres';
import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { SIM_SANDBOX_STATUS_DELAYS_MS } from 'src/meta-simulator/meta-simulator.constants';
import { SimulatorPersistence } from 'src/meta-simulator/simulator-persistence';

/** Secrets generated once for sandbox mode and kept under DATA_DIR (mode 0600). */
interface SandboxSecrets {
  adminApiToken: string;
  tokenEncryptionKey: string;
  webhookVerifyToken: string;
  metaAppId: string;
  metaAppSecret: string;
  systemUserToken: string;
}

/** What the process runs besides Nest, and how to stop it. */
export interface Runtime {
  sandbox: boolean;
  embeddedDatabase: EmbeddedDatabase | null;
  simulator: MetaSimulator | null;
  /** Printed at start-up in sandbox mode. */
  adminApiToken: string | null;
  stop(): Promise<void>;
}

/**
 * Resolves everything the configuration needs before Nest starts, writing it into process.env: an
 * embedded PostgreSQL when DATABASE_URL is unset, and in sandbox mode (no Meta app) generated secrets and
 * the in-process Meta simulator standing in for graph.facebook.com. Validates the environment first, so a
 * bad variable stops start-up before anything is started.
 */
export async function prepareRuntime(options: { log: (line: string) => void }): Promise<Runtime> {
  const env = validate(process.env);
  const dataDir = resolve(env.DATA_DIR);
  const sandbox = isSandbox(env);

  let embeddedDatabase: EmbeddedDatabase | null = null;
  if (!env.DATABASE_URL) {
    options.log(`No DATABASE_URL: starting embedded PostgreSQL in ${join(dataDir, 'postgres')}`);
    embeddedDatabase = await EmbeddedDatabase.start({ dataDir: join(dataDir, 'postgres'), log: options.log });
    process.env.DATABASE_URL = embeddedDatabase.url('postgres');
  }

  let simulator: MetaSimulator | null = null;
  let persistence: SimulatorPersistence | null = null;
  let adminApiToken: string | null = null;
  if (sandbox) {
    const secrets = await loadSandboxSecrets(dataDir);
    process.env.ADMIN_API_TOKEN ??= secrets.adminApiToken;
    process.env.TOKEN_ENCRYPTION_KEY ??= secrets.tokenEncryptionKey;
    process.env.META_WEBHOOK_VERIFY_TOKEN ??= secrets.webhookVerifyToken;
    process.env.META_APP_ID = secrets.metaAppId;
    process.env.META_APP_SECRET = secrets.metaAppSecret;
    process.env.META_SANDBOX = 'true';
    if (!process.env.META_GRAPH_BASE_URL) {
      const callbackHost = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
      // The database survives restarts, so "Meta" must too: otherwise stored WABAs vanish at the next sync.
      const statePersistence = new SimulatorPersistence({
        file: join(dataDir, 'sandbox-simulator.json'),
        log: options.log,
      });
      persistence = statePersistence;
      const webhookUrl = `http://${callbackHost}:${env.PORT}/webhooks/meta`;
      // The webhooks check tells an override pointing at this service from one elsewhere by this URL.
      process.env.META_WEBHOOK_CALLBACK_URL ??= webhookUrl;
      simulator = new MetaSimulator({
        appId: secrets.metaAppId,
        appSecret: secrets.metaAppSecret,
        systemUserToken: secrets.systemUserToken,
        webhookUrl,
        // A person trying the API sees a send progress: sent, delivered, read, a few seconds apart.
        statusWebhooks: 'all',
        statusDelaysMs: SIM_SANDBOX_STATUS_DELAYS_MS,
        onStateChange: () => statePersistence.schedule(),
      });
      statePersistence.attach(simulator);
      if (await statePersistence.restore()) {
        options.log(`Sandbox mode: restored the simulated Meta state from ${join(dataDir, 'sandbox-simulator.json')}`);
      }
      process.env.META_GRAPH_BASE_URL = await simulator.start(env.META_SIM_PORT);
      process.env.META_SYSTEM_USER_TOKEN ||= secrets.systemUserToken;
      options.log(`Sandbox mode: no Meta app configured; Graph API is the built-in simulator at ${simulator.url}`);
    }
    adminApiToken = process.env.ADMIN_API_TOKEN ?? null;
  }

  return {
    sandbox,
    embeddedDatabase,
    simulator,
    adminApiToken,
    stop: async () => {
      await simulator?.stop();
      await persistence?.close();
      await embeddedDatabase?.stop();
    },
  };
}

async function loadSandboxSecrets(dataDir: string): Promise<SandboxSecrets> {
  const file = join(dataDir, 'sandbox-secrets.json');
  await mkdir(dataDir, { recursive: true });
  if (existsSync(file)) {
    return JSON.parse(await readFile(file, 'utf8')) as SandboxSecrets;
  }
  const secrets: SandboxSecrets = {
    adminApiToken: `adm_${randomBytes(24).toString('base64url')}`,
    tokenEncryptionKey: randomBytes(32).toString('base64'),
    webhookVerifyToken: randomBytes(16).toString('base64url'),
    metaAppId: String(1_000_000_000_000 + randomBytes(4).readUInt32BE()),
    metaAppSecret: randomBytes(16).toString('hex'),
    systemUserToken: `EAASIM${randomBytes(24).toString('base64url')}`,
  };
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  await chmod(file, 0o600);
  return secrets;
}
