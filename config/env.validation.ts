// Implicit conversion reads the decorators' design-time types, so the metadata polyfill must be loaded first.
import 'reflect-metadata';

import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  validateSync,
} from 'class-validator';

// Implicit conversion has already turned any non-empty string into `true` by the time @Transform runs,
// so read the raw value from the source object.
const toBoolean = ({ obj, key, value }: { obj: Record<string, unknown>; key: string; value: unknown }): unknown => {
  const raw = obj[key];
  if (typeof raw !== 'string') {
    return value;
  }
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(normalized)) {
    return false;
  }
  return raw;
};

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every environment variable the service reads (api-contract.md §2 plus a few operational knobs).
 * Sandbox mode is "neither META_APP_ID nor META_APP_SECRET set"; it relaxes the secrets that the
 * runtime then generates and keeps under `.data/`.
 */
export class EnvironmentVariables {
  /** HTTP port. */
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** Bind address. */
  @IsString()
  @IsNotEmpty()
  HOST: string = '127.0.0.1';

  /** PostgreSQL URL; unset means embedded PostgreSQL under DATA_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgresql:// URL' })
  DATABASE_URL?: string;

  /** Where embedded PostgreSQL and generated sandbox secrets live. */
  @IsString()
  @IsNotEmpty()
  DATA_DIR: string = '.data';

  /** Bearer token for /api/v1/admin/* and organization creation. */
  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => !isSandbox(env) || env.ADMIN_API_TOKEN !== undefined)
  @IsString()
  @Matches(/^\S{24,}$/, { message: 'must be at least 24 characters without spaces' })
  ADMIN_API_TOKEN?: string;

  /** Base64 of 32 random bytes; encrypts Meta tokens and PINs (AES-256-GCM). */
  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => !isSandbox(env) || env.TOKEN_ENCRYPTION_KEY !== undefined)
  @IsBase64()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be base64 of exactly 32 bytes' })
  TOKEN_ENCRYPTION_KEY?: string;

  /** Meta app ID; unset together with META_APP_SECRET means sandbox mode. */
  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => env.META_APP_SECRET !== undefined || env.META_APP_ID !== undefined)
  @IsString()
  @Matches(/^\d+$/, { message: 'must be set together with META_APP_SECRET and be a numeric app ID' })
  META_APP_ID?: string;

  /** Meta app secret; signs webhooks and builds the app access token. */
  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => env.META_APP_ID !== undefined || env.META_APP_SECRET !== undefined)
  @IsString()
  @IsNotEmpty({ message: 'must be set together with META_APP_ID' })
  META_APP_SECRET?: string;

  /** Graph API origin without the version. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  META_GRAPH_BASE_URL?: string;

  /** Graph API version segment. */
  @Matches(/^v\d+\.\d+$/, { message: 'must look like v25.0' })
  META_GRAPH_API_VERSION: string = 'v25.0';

  /** Token that answers Meta's webhook verification handshake. */
  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => !isSandbox(env) || env.META_WEBHOOK_VERIFY_TOKEN !== undefined)
  @IsString()
  @IsNotEmpty()
  META_WEBHOOK_VERIFY_TOKEN?: string;

  /** Optional platform system-user token used for multi-ID status reads. */
  @IsString()
  META_SYSTEM_USER_TOKEN: string = '';

  /**
   * The public URL Meta delivers this service's webhooks to (the app's callback, `https://<host>/webhooks/meta`).
   * A WABA whose `override_callback_uri` is this URL still counts as SUBSCRIBED; unset, any override counts
   * as OVERRIDDEN (the detail then says where the deliveries go).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  META_WEBHOOK_CALLBACK_URL?: string;

  /** Embedded Signup configuration ID handed to the front end. */
  @IsString()
  META_ES_CONFIG_ID: string = '';

  /** Timeout of one Graph call, in milliseconds. */
  @IsInt()
  @Min(100)
  @Max(120000)
  META_REQUEST_TIMEOUT_MS: number = 10000;

  /** Retries of an idempotent Graph read on transient or throttling errors. */
  @IsInt()
  @Min(0)
  @Max(10)
  META_MAX_RETRIES: number = 2;

  /** Periodic re-sync on or off. */
  @Transform(toBoolean)
  @IsBoolean()
  SCHEDULER_ENABLED: boolean = true;

  /** Minutes between re-sync rounds. */
  @IsInt()
  @Min(1)
  @Max(1440)
  SYNC_INTERVAL_MINUTES: number = 15;

  /**
   * Minutes between two checks of a WABA's webhook subscription (`GET /{waba}/subscribed_apps`) by the
   * rounds: a round checks only the WABAs whose last check is this old, so each is checked every few rounds.
   */
  @IsInt()
  @Min(1)
  @Max(10080)
  WEBHOOKS_CHECK_INTERVAL_MINUTES: number = 360;

  /**
   * Hours after which a round reads a WABA's message templates again (webhooks keep them fresh in between;
   * the read is the safety net for missed ones): templates are read far less often than statuses.
   */
  @IsInt()
  @Min(1)
  @Max(720)
  TEMPLATE_SYNC_INTERVAL_HOURS: number = 24;

  /**
   * Days a recorded marketing send (and its statuses) is kept; the scheduler deletes older ones in small
   * batches. Ended PAUSED holds go with them; OPTED_OUT holds are kept until the user resumes.
   */
  @IsInt()
  @Min(1)
  @Max(3650)
  MARKETING_MESSAGES_RETENTION_DAYS: number = 30;

  /**
   * Lease of the WABAs a round claims, in milliseconds: renewed every third of it while the round holds
   * them, so it runs out only when the instance is gone or stalled (then another instance takes them over).
   */
  @IsInt()
  @Min(300)
  @Max(3600000)
  SYNC_CLAIM_LEASE_MS: number = 60000;

  /** Graph calls in flight at once per instance during a round. */
  @IsInt()
  @Min(1)
  @Max(256)
  SYNC_CONCURRENCY: number = 8;

  /**
   * Lease of a claimed webhook delivery, in milliseconds: renewed every third of it while the delivery is
   * worked on, so it only runs out when the instance is gone or stalled (then another instance takes over).
   */
  @IsInt()
  @Min(300)
  @Max(3600000)
  WEBHOOK_LEASE_MS: number = 60000;

  /** Apply pending migrations at start-up (under an advisory lock). */
  @Transform(toBoolean)
  @IsBoolean()
  MIGRATE_ON_START: boolean = true;

  /** Public API requests per minute per organization (all its keys together), held across instances. */
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE: number = 600;

  /** Failed authentications (bad API key or admin token) per minute per client address, across instances. */
  @IsInt()
  @Min(1)
  AUTH_FAILURES_PER_MINUTE: number = 20;

  /** Open event streams (`GET /api/v1/events`) per organization on one instance; one more is a 429. */
  @IsInt()
  @Min(1)
  @Max(10000)
  LIVE_EVENTS_MAX_STREAMS_PER_ORGANIZATION: number = 20;

  /** How often an open event stream gets a `: keep-alive` comment, in milliseconds. */
  @IsInt()
  @Min(50)
  @Max(300000)
  LIVE_EVENTS_KEEPALIVE_MS: number = 15000;

  /**
   * Optional Redis for the shared rate-limit state and the live events' pub/sub; empty keeps both in
   * PostgreSQL (LISTEN/NOTIFY for the events).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Largest accepted JSON body, in bytes. */
  @IsInt()
  @Min(1024)
  @Max(10485760)
  BODY_LIMIT_BYTES: number = 102400;

  /** Port of the in-process Meta simulator in sandbox mode (0 = any free port). */
  @IsInt()
  @Min(0)
  @Max(65535)
  META_SIM_PORT: number = 0;

  /** Write logs to this file instead of stdout (appends). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  LOG_FILE?: string;

  /** pino level. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}

/** Sandbox mode: no Meta app configured. */
export function isSandbox(env: Pick<EnvironmentVariables, 'META_APP_ID' | 'META_APP_SECRET'>): boolean {
  return !env.META_APP_ID && !env.META_APP_SECRET;
}

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class InvalidConfigurationError extends Error {}

/**
 * Validates the whole environment once. Throws one error naming every bad variable, never echoing a
 * secret's value.
 */
export function validate(config: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, config, { enableImplicitConversion: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((error) => `  - ${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`);
    throw new InvalidConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return env;
}
