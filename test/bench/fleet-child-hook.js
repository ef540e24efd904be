'use strict';
/**
 * Preloaded (`node --require`) into each bench instance of the production build (dist/src/main.js) by
 * test/bench/fleet.ts. Plain JavaScript so the instance needs no ts-node (which would inflate its RSS).
 *
 * It keeps the Nest application main.js creates and answers the harness over the IPC channel:
 * - `sync-round`: one tick of the periodic re-sync, exactly what the scheduler's interval calls
 *   (StatusSyncJob.run(), the due WABAs only). The scheduler itself stays off in the bench: its tick is
 *   60 s, and the admin endpoint runs a full round (every connected WABA, due or not);
 * - `kick-inbox`: what storing a delivery does (WebhookInboxWorker.kick()), for rows the harness stored
 *   with SQL; without it the worker still finds them at its next poll;
 * - `memory-usage`: process.memoryUsage() and the V8 new space's size, to tell where the RSS goes;
 * - `heap-snapshot`: writes a heap snapshot (V8 collects garbage first) into `message.dir`, returns its path,
 *   to tell what the live heap holds after a phase;
 * - `inbox-claims`: how many claims the inbox worker made so far and how many rows they took (counted from the
 *   first time it is asked), to tell how large the worker's batches were during a phase;
 * - `pg-statements`: the statements this process sent through `pg` since the previous ask, by their first 70
 *   characters, and the characters of their texts and parameters (counted from the first time it is asked), to
 *   tell how many round trips a phase cost and how much it sent;
 * - `pause-inbox`: stops (`message.pause` set) or resumes the inbox worker's claims, so that a bench can measure
 *   intake alone; what was stored meanwhile is claimed on resuming;
 * - `cpu-profile`: starts V8's CPU profiler (`message.start` set) or stops it and writes the profile to
 *   `message.path`, to profile one phase rather than the instance's whole life (`--cpu-prof`).
 * Nothing else of the service is touched.
 */
const { join } = require('node:path');
const v8 = require('node:v8');

const dist = join(__dirname, '..', '..', 'dist');
const core = require(require.resolve('@nestjs/core', { paths: [dist] }));
const create = core.NestFactory.create.bind(core.NestFactory);
let app = null;
let claimCounts = null;
let statementCounts = null;
let statementChars = 0;
let profiler = null;
core.NestFactory.create = async (...args) => {
  app = await create(...args);
  return app;
};

const commands = {
  'sync-round': async () => {
    const { StatusSyncJob } = require(join(dist, 'src/modules/scheduler/jobs/status-sync.job'));
    return app.get(StatusSyncJob, { strict: false }).run();
  },
  'memory-usage': async () => {
    const usage = process.memoryUsage();
    const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    return { ...usage, newSpace: newSpace ? newSpace.space_size : 0 };
  },
  'heap-snapshot': async (message) =>
    v8.writeHeapSnapshot(join(message.dir, `service-${process.pid}-${Date.now()}.heapsnapshot`)),
  'inbox-claims': async () => {
    if (!claimCounts) {
      const { WebhookInboxRepository } = require(join(dist, 'src/modules/meta-webhooks/webhook-inbox.repository'));
      const inbox = app.get(WebhookInboxRepository, { strict: false });
      const claimBatch = inbox.claimBatch.bind(inbox);
      claimCounts = { claims: 0, rows: 0 };
      inbox.claimBatch = async (...args) => {
        const rows = await claimBatch(...args);
        claimCounts.claims += 1;
        claimCounts.rows += rows.length;
        return rows;
      };
    }
    return { ...claimCounts };
  },
  'pg-statements': async () => {
    if (!statementCounts) {
      const { Client } = require(require.resolve('pg', { paths: [dist] }));
      const query = Client.prototype.query;
      Client.prototype.query = function (...args) {
        const first = args[0];
        const text = typeof first === 'string' ? first : (first && first.text) || '?';
        const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
        statementCounts.set(key, (statementCounts.get(key) || 0) + 1);
        const values = Array.isArray(args[1]) ? args[1] : (first && first.values) || [];
        statementChars += text.length + values.reduce((sum, value) => sum + String(value ?? '').length, 0);
        return query.apply(this, args);
      };
    }
    const reply = { counts: Object.fromEntries(statementCounts || []), chars: statementChars };
    statementCounts = new Map();
    statementChars = 0;
    return reply;
  },
  'cpu-profile': async (message) => {
    if (message.start) {
      const { Session } = require('node:inspector/promises');
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      return null;
    }
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = null;
    require('node:fs').writeFileSync(message.path, JSON.stringify(profile));
    return message.path;
  },
  'pause-inbox': async (message) => {
    const { WebhookInboxWorker } = require(join(dist, 'src/modules/meta-webhooks/webhook-inbox.worker'));
    const worker = app.get(WebhookInboxWorker, { strict: false });
    // The worker's own flag: `fill` claims nothing while it is set (its poller keeps ticking).
    worker.stopped = Boolean(message.pause);
    if (!message.pause) {
      worker.kick();
    }
    return null;
  },
  'kick-inbox': async () => {
    const { WebhookInboxWorker } = require(join(dist, 'src/modules/meta-webhooks/webhook-inbox.worker'));
    app.get(WebhookInboxWorker, { strict: false }).kick();
    return null;
  },
};

process.on('message', (message) => {
  const command = commands[message && message.command];
  const reply = (body) => process.send && process.send({ id: message.id, ...body });
  if (!command || !app) {
    reply({ error: !app ? 'the application is not created yet' : `unknown command ${String(message.command)}` });
    return;
  }
  command(message).then(
    (result) => reply({ result }),
    (error) => reply({ error: error instanceof Error ? error.message : String(error) }),
  );
});
// The IPC channel must not keep an instance alive once main.js decided to exit.
if (process.channel) {
  process.channel.unref();
}
