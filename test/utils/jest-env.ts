// Tests never pick up a developer's .env or start the periodic scheduler on their own.
process.env.TZ = 'UTC';
process.env.SCHEDULER_ENABLED ??= 'false';
process.env.LOG_LEVEL ??= 'silent';
