import { registerAs } from '@nestjs/config';

import { validate } from 'config/env.validation';

export interface DatabaseConfig {
  url: string;
  migrateOnStart: boolean;
}

export default registerAs('database', (): DatabaseConfig => {
  const env = validate(process.env);
  if (!env.DATABASE_URL) {
    throw new Error('DATABASE_URL must be resolved before the application module starts');
  }
  return { url: env.DATABASE_URL, migrateOnStart: env.MIGRATE_ON_START };
});
