import { registerAs } from '@nestjs/config';

import { type LogLevel, validate } from 'config/env.validation';

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  adminApiToken: string;
  tokenEncryptionKey: string;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  logFile: string | null;
}

export default registerAs('app', (): AppConfig => {
  const env = validate(process.env);
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: env.DATA_DIR,
    // The runtime fills both in sandbox mode before Nest starts (see src/bootstrap/runtime.ts).
    adminApiToken: env.ADMIN_API_TOKEN ?? '',
    tokenEncryptionKey: env.TOKEN_ENCRYPTION_KEY ?? '',
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    logLevel: env.LOG_LEVEL,
    logFile: env.LOG_FILE ?? null,
  };
});
