import { InvalidConfigurationError, isSandbox, validate } from 'config/env.validation';

describe('validate (environment)', () => {
  it('should accept an empty environment as sandbox mode with defaults', () => {
    const sut = validate({});
    expect(sut).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      META_GRAPH_API_VERSION: 'v25.0',
      SCHEDULER_ENABLED: true,
    });
    expect(isSandbox(sut)).toBe(true);
  });

  it('should convert numbers and booleans from strings', () => {
    const sut = validate({ PORT: '8080', SCHEDULER_ENABLED: 'false', SYNC_CONCURRENCY: '4', MIGRATE_ON_START: '0' });
    expect(sut).toMatchObject({ PORT: 8080, SCHEDULER_ENABLED: false, SYNC_CONCURRENCY: 4, MIGRATE_ON_START: false });
  });

  it('should keep marketing sends 30 days by default and refuse a retention under one day', () => {
    expect(validate({}).MARKETING_MESSAGES_RETENTION_DAYS).toBe(30);
    expect(validate({ MARKETING_MESSAGES_RETENTION_DAYS: '7' }).MARKETING_MESSAGES_RETENTION_DAYS).toBe(7);
    expect(() => validate({ MARKETING_MESSAGES_RETENTION_DAYS: '0' })).toThrow(/- MARKETING_MESSAGES_RETENTION_DAYS:/);
  });

  it('should list every bad variable in one error, without echoing secret values', () => {
    let error: unknown;
    try {
      validate({
        PORT: 'eighty',
        META_APP_ID: '123',
        DATABASE_URL: 'mysql://nope',
        TOKEN_ENCRYPTION_KEY: 'c2hvcnQ=',
        ADMIN_API_TOKEN: 'short-secret',
        LOG_LEVEL: 'loud',
        SCHEDULER_ENABLED: 'perhaps',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    const message = (error as Error).message;
    for (const name of [
      'PORT',
      'META_APP_SECRET',
      'DATABASE_URL',
      'TOKEN_ENCRYPTION_KEY',
      'ADMIN_API_TOKEN',
      'LOG_LEVEL',
      'SCHEDULER_ENABLED',
      'META_WEBHOOK_VERIFY_TOKEN',
    ]) {
      expect(message).toContain(`- ${name}:`);
    }
    expect(message).not.toContain('short-secret');
    expect(message).not.toContain('c2hvcnQ=');
  });

  it('should require the secrets once a Meta app is configured', () => {
    expect(() => validate({ META_APP_ID: '123', META_APP_SECRET: 's' })).toThrow(
      /ADMIN_API_TOKEN[\s\S]*TOKEN_ENCRYPTION_KEY/,
    );
    const sut = validate({
      META_APP_ID: '123',
      META_APP_SECRET: 's',
      ADMIN_API_TOKEN: 'a'.repeat(32),
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
      META_WEBHOOK_VERIFY_TOKEN: 'verify',
    });
    expect(isSandbox(sut)).toBe(false);
  });

  it('should default the rate limits and accept an optional redis:// URL for their state', () => {
    expect(validate({})).toMatchObject({ RATE_LIMIT_PER_MINUTE: 600, AUTH_FAILURES_PER_MINUTE: 20 });
    expect(validate({}).REDIS_URL).toBeUndefined();
    expect(validate({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(validate({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).REDIS_URL).toBe('redis://127.0.0.1:6379/2');
    expect(() => validate({ REDIS_URL: 'http://cache', AUTH_FAILURES_PER_MINUTE: '0' })).toThrow(
      /AUTH_FAILURES_PER_MINUTE[\s\S]*REDIS_URL|REDIS_URL[\s\S]*AUTH_FAILURES_PER_MINUTE/,
    );
  });
});
