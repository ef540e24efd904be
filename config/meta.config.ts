import { registerAs } from '@nestjs/config';

import { isSandbox, validate } from 'config/env.validation';

export interface MetaConfig {
  /** True when no Meta app is configured and the built-in simulator stands in for Graph API. */
  sandbox: boolean;
  appId: string;
  appSecret: string;
  graphApiBaseUrl: string;
  graphApiVersion: string;
  webhookVerifyToken: string;
  /** Our webhook callback URL as Meta knows it; null when not configured (see META_WEBHOOK_CALLBACK_URL). */
  webhookCallbackUrl: string | null;
  systemUserToken: string;
  embeddedSignupConfigId: string;
  requestTimeoutMs: number;
  maxRetries: number;
}

export const META_DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';

export default registerAs('meta', (): MetaConfig => {
  const env = validate(process.env);
  return {
    sandbox: isSandbox(env) || process.env.META_SANDBOX === 'true',
    appId: env.META_APP_ID ?? '',
    appSecret: env.META_APP_SECRET ?? '',
    graphApiBaseUrl: (env.META_GRAPH_BASE_URL ?? META_DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, ''),
    graphApiVersion: env.META_GRAPH_API_VERSION,
    webhookVerifyToken: env.META_WEBHOOK_VERIFY_TOKEN ?? '',
    webhookCallbackUrl: env.META_WEBHOOK_CALLBACK_URL ?? null,
    systemUserToken: env.META_SYSTEM_USER_TOKEN,
    embeddedSignupConfigId: env.META_ES_CONFIG_ID,
    requestTimeoutMs: env.META_REQUEST_TIMEOUT_MS,
    maxRetries: env.META_MAX_RETRIES,
  };
});
