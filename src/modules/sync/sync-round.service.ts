import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { SecretBox } from 'src/common/security/secret-box';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { WabaConnection } from 'src/modules/wabas/wabas.constants';

import {
  SYNC_ROUND_CLAIM_BATCH_SIZE,
  SYNC_ROUND_CLAIM_LEASE_MS,
  SYNC_ROUND_MAX_WORKERS,
  SYNC_ROUND_SCHEDULED_ACTOR,
  SYNC_ROUND_WORKERS_PER_CALL_SLOT,
} from './sync-round.constants';
import { SyncRoundMetaGateway } from './sync-round.gateway';
import { SyncRoundObserver } from './sync-round.observer';
import { ConcurrencyLimiter } from './sync-round.limiter';
import { type WabaReading, WabaSyncService } from './waba-sync.service';

/** What one instance did in one round (the body of `POST /api/v1/admin/sync-rounds`). */
export interface SyncRoundResult {
  /** WABAs this instance claimed and handled in the round. */
  wabas: number;
  /** Read and applied. */
  succeeded: number;
  /** Read failed (counted on the WABA, which backs off; a rejected token marks REAUTH_REQUIRED). */
  failed: number;
  /** Not read because Meta throttles them: paused until Meta's estimated time to regain access. */
  skipped: number;
  /** Graph calls made by the round. */
  metaCalls: number;
  durationMs: number;
}

/**
 * Which WABAs a round claims; either way only CONNECTED ones (a rejected token waits for re-authorization)
 * that no instance holds a live claim on.
 */
type RoundScope =
  /** The periodic round: the WABAs whose `next_sync_at` has come by `cutoff`. */
  | { kind: 'due'; cutoff: Date }
  /**
   * A full round: every WABA, due or not, that no round has handled since `startedAt` (the database's
   * clock, as text so that its microseconds survive; `sync_handled_at` is written by the same clock).
   */
  | { kind: 'full'; startedAt: string };

/** A WABA claimed for this round, with what the round needs to read it. */
interface ClaimedWaba {
  wabaId: string;
  ownerBusinessId: string | null;
  fingerprint: string;
  sealedToken: string;
}

/** Unit of work of a round: several WABAs read with one token, or one WABA read with its own. */
type RoundTask =
  { kind: 'group'; wabas: ClaimedWaba[]; token: string; ownToken: boolean } | { kind: 'single'; waba: ClaimedWaba };

type Outcome = 'succeeded' | 'failed' | 'skipped';

/**
 * The re-sync (product-spec §2.8): re-reads connected WABAs' fields, their numbers and their MM Lite
 * status, and applies them through {@link WabaSyncService}. The periodic round ({@link runRound}) takes
 * the due WABAs; a full round ({@link runFullRound}, the admin endpoint) takes every WABA, due or not.
 *
 * Several instances share a round through per-WABA claims on the `wabas` row (`sync_claimed_by`,
 * `sync_claim_expires_at`) taken with `FOR UPDATE SKIP LOCKED`: each instance keeps claiming batches
 * until no eligible, unclaimed WABA is left, so no WABA is read twice and no instance idles while work
 * remains. A crashed instance's claims expire after {@link SYNC_ROUND_CLAIM_LEASE_MS}.
 *
 * Releasing a claim stamps `sync_handled_at`, and that is what keeps a full round to one read per WABA:
 * a handled WABA is released and claimable again, but a full round takes only WABAs no round (full or
 * periodic, on any instance) has handled since it started. A claim that dies with its instance was never
 * stamped, so once its lease expires the WABA is read by the rounds still running.
 *
 * Reads are batched with multi-ID calls (≤ 50 IDs) under one token: the platform's system-user token
 * when configured (it reads every client WABA), else the WABAs sharing a business token. Numbers are
 * read with a multi-ID call over the numbers already known; new numbers arrive through signup, webhooks
 * and the per-WABA path (a singleton group or a fallback lists the WABA's numbers). A failed chunk falls
 * back to one read per WABA with its own token, so one bad WABA never fails its neighbours.
 */
@Injectable()
export class SyncRoundService {
  private readonly logger = new Logger(SyncRoundService.name);
  /** This instance, as written into the claims (hostname, pid and a random suffix). */
  readonly instanceId = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly em: EntityManager,
    private readonly meta: MetaGateway,
    private readonly sync: WabaSyncService,
    private readonly secrets: SecretBox,
    private readonly config: ConfigService<AllConfig, true>,
    // Metrics, when the metrics module is loaded.
    @Optional() private readonly observer?: SyncRoundObserver,
  ) {}

  /**
   * The periodic round: reads the WABAs due by `now` (their `next_sync_at`) on this instance, audited as
   * the system's, and resolves when no due WABA is left unclaimed and this instance's claims are all
   * handled. WABAs due after `now` wait for the next round.
   */
  async runRound(now: Date = new Date()): Promise<SyncRoundResult> {
    return this.run({ kind: 'due', cutoff: now }, SYNC_ROUND_SCHEDULED_ACTOR);
  }

  /**
   * A full round (`POST /api/v1/admin/sync-rounds`): reads every connected WABA, due or not, that no round
   * has handled since this one started, audited as `requestedBy`'s; resolves when none is left unclaimed
   * and this instance's claims are all handled. Rounds running at the same time on other instances share
   * the work, and a WABA Meta throttles is still not read (it is counted as skipped).
   */
  async runFullRound(requestedBy: string): Promise<SyncRoundResult> {
    // The database's clock, because sync_handled_at is stamped by it on whichever instance releases.
    const [row]: Array<{ started_at: string }> = await this.em
      .getConnection()
      .execute('SELECT now()::text AS started_at');
    return this.run({ kind: 'full', startedAt: row.started_at }, requestedBy);
  }

  private async run(scope: RoundScope, requestedBy: string): Promise<SyncRoundResult> {
    const startedAt = Date.now();
    const concurrency = this.config.get('scheduler.syncConcurrency', { infer: true });
    const gateway = new SyncRoundMetaGateway(this.meta, new ConcurrencyLimiter(concurrency));
    const run = new RoundRun(requestedBy, () => this.claimBatch(scope));
    const workers = Math.min(SYNC_ROUND_MAX_WORKERS, concurrency * SYNC_ROUND_WORKERS_PER_CALL_SLOT);

    await Promise.all(Array.from({ length: workers }, () => this.work(run, gateway)));

    const result: SyncRoundResult = {
      wabas: run.counts.succeeded + run.counts.failed + run.counts.skipped,
      ...run.counts,
      metaCalls: gateway.calls,
      durationMs: Date.now() - startedAt,
    };
    this.logger.log(
      `Sync round ended: scope=${scope.kind} by=${requestedBy} instance=${this.instanceId} wabas=${result.wabas} ` +
        `succeeded=${result.succeeded} failed=${result.failed} skipped=${result.skipped} ` +
        `metaCalls=${result.metaCalls} durationMs=${result.durationMs}`,
    );
    this.observer?.recordRound(result, run.claimError !== null);
    if (run.claimError) {
      // The database failed under the round: what was claimed is handled, the rest waits for the next round.
      throw run.claimError;
    }
    return result;
  }

  private async work(run: RoundRun, gateway: SyncRoundMetaGateway): Promise<void> {
    for (let task = await run.take(); task !== null; task = await run.take()) {
      try {
        await this.execute(run, gateway, task);
      } catch (error) {
        // Outcomes are recorded per WABA inside execute(); reaching here means the database failed while
        // recording one. The claims of that task expire on their own and the WABAs come back next round.
        this.logger.error(`Sync round task failed: ${describe(error)}`);
      } finally {
        run.done();
      }
    }
  }

  private async execute(run: RoundRun, gateway: SyncRoundMetaGateway, task: RoundTask): Promise<void> {
    if (task.kind === 'single') {
      run.count(await this.syncOne(run, gateway, task.waba));
      await this.release([task.waba.wabaId]);
      return;
    }
    const { handled, fallback } = await this.syncGroup(run, gateway, task);
    await this.release(handled);
    run.push(fallback.map((waba) => ({ kind: 'single', waba })));
  }

  /**
   * Claims up to one batch of the scope's unclaimed, connected WABAs for this instance. Without a
   * system-user token the batch is ordered by token fingerprint, so WABAs sharing a business token land
   * together. A full round walks the same order: a WABA it has read moves (mostly) an interval ahead,
   * behind the ones still to read, which so stay at the front of the `next_sync_at` index.
   */
  private async claimBatch(scope: RoundScope): Promise<RoundTask[]> {
    // Raw SQL, which the tenant filter does not cover: the round claims every organization's WABAs.
    const ordering = this.systemUserToken() ? 'next_sync_at, id' : 'access_token_fingerprint, next_sync_at, id';
    const [eligible, bound] =
      scope.kind === 'due'
        ? ['next_sync_at <= ?', scope.cutoff]
        : ['(sync_handled_at IS NULL OR sync_handled_at < CAST(? AS timestamptz))', scope.startedAt];
    const rows: Array<{
      waba_id: string;
      owner_business_id: string | null;
      access_token_fingerprint: string;
      access_token_sealed: string;
    }> = await this.em.getConnection().execute(
      `UPDATE wabas
          SET sync_claimed_by = ?, sync_claim_expires_at = now() + (? * interval '1 millisecond')
        WHERE id IN (
              SELECT id FROM wabas
               WHERE connection = ?
                 AND ${eligible}
                 AND (sync_claim_expires_at IS NULL OR sync_claim_expires_at < now())
               ORDER BY ${ordering}
               LIMIT ?
                 FOR UPDATE SKIP LOCKED)
    RETURNING waba_id, owner_business_id, access_token_fingerprint, access_token_sealed`,
      [this.instanceId, SYNC_ROUND_CLAIM_LEASE_MS, WabaConnection.CONNECTED, bound, SYNC_ROUND_CLAIM_BATCH_SIZE],
    );
    const claimed = rows.map<ClaimedWaba>((row) => ({
      wabaId: row.waba_id,
      ownerBusinessId: row.owner_business_id,
      fingerprint: row.access_token_fingerprint,
      sealedToken: row.access_token_sealed,
    }));
    return this.plan(claimed);
  }

  /** Turns a claimed batch into tasks: one group per token, a single read for a WABA alone with its token. */
  private plan(claimed: ClaimedWaba[]): RoundTask[] {
    if (claimed.length === 0) {
      return [];
    }
    const systemToken = this.systemUserToken();
    if (systemToken) {
      return claimed.length === 1
        ? [{ kind: 'single', waba: claimed[0] }]
        : [{ kind: 'group', wabas: claimed, token: systemToken, ownToken: false }];
    }
    const byToken = new Map<string, ClaimedWaba[]>();
    for (const waba of claimed) {
      byToken.set(waba.fingerprint, [...(byToken.get(waba.fingerprint) ?? []), waba]);
    }
    return [...byToken.values()].flatMap<RoundTask>((wabas) => {
      const token = wabas.length > 1 ? this.openToken(wabas[0]) : null;
      // A token that cannot be opened fails each WABA on its own path, where the failure is recorded.
      return token
        ? [{ kind: 'group', wabas, token, ownToken: true }]
        : wabas.map<RoundTask>((waba) => ({ kind: 'single', waba }));
    });
  }

  private openToken(waba: ClaimedWaba): string | null {
    try {
      return this.secrets.open(waba.sealedToken);
    } catch {
      return null;
    }
  }

  /**
   * Reads a group with multi-ID calls: the WABAs' fields (MM Lite status and the portfolio's terms come
   * with them), then their known numbers. Returns the WABAs whose outcome is recorded and those to read
   * one by one (their chunk failed, or one of their numbers could not be read).
   */
  private async syncGroup(
    run: RoundRun,
    gateway: SyncRoundMetaGateway,
    task: Extract<RoundTask, { kind: 'group' }>,
  ): Promise<{ handled: string[]; fallback: ClaimedWaba[] }> {
    const handled: string[] = [];
    const fallback: ClaimedWaba[] = [];
    const active: ClaimedWaba[] = [];
    for (const waba of task.wabas) {
      const until = gateway.throttledUntil(waba.wabaId);
      if (until) {
        await this.sync.deferSync(waba.wabaId, until, run.actor);
        run.count('skipped');
        handled.push(waba.wabaId);
      } else {
        active.push(waba);
      }
    }
    if (active.length === 0) {
      return { handled, fallback };
    }

    const observedAt = new Date();
    const fields = await gateway.getWabas(
      active.map((waba) => waba.wabaId),
      task.token,
    );
    const numbersByWaba = await this.knownNumbers([...fields.found.keys()]);
    const phoneIds = [...numbersByWaba.values()].flat();
    const phones =
      phoneIds.length > 0
        ? await gateway.getPhoneNumbers(phoneIds, task.token)
        : { found: new Map<string, PhoneNumberSnapshot>(), failed: new Map<string, Error>(), calls: 0 };

    const readings = new Map<string, WabaReading>();
    for (const waba of active) {
      const snapshot = fields.found.get(waba.wabaId);
      const failure = fields.failed.get(waba.wabaId);
      if (!snapshot) {
        if (task.ownToken && isRejectedToken(failure)) {
          // The WABA's own token was refused: reading it alone with the same token would only repeat that.
          run.count(await this.recordFailure(run, gateway, waba.wabaId, failure));
          handled.push(waba.wabaId);
        } else {
          fallback.push(waba);
        }
        continue;
      }
      const numberIds = numbersByWaba.get(waba.wabaId) ?? [];
      const numbers = numberIds.map((id) => phones.found.get(id));
      if (numbers.some((number) => number === undefined)) {
        fallback.push(waba);
        continue;
      }
      readings.set(waba.wabaId, {
        snapshot,
        numbers: numbers as PhoneNumberSnapshot[],
        terms: snapshot.ownerBusinessTermsStatus ?? null,
        observedAt,
      });
      handled.push(waba.wabaId);
    }
    await this.applyChunk(gateway, run, readings);
    if (fallback.length > 0) {
      this.logger.warn(`Sync round: ${fallback.length} WABA(s) of a multi-ID read fall back to one read each`);
    }
    return { handled, fallback };
  }

  /**
   * Applies a chunk's readings in one transaction (the round's cost is the writing, not Meta); if that
   * fails, each WABA is applied on its own so one bad row cannot fail its chunk-mates.
   */
  private async applyChunk(
    gateway: SyncRoundMetaGateway,
    run: RoundRun,
    readings: Map<string, WabaReading>,
  ): Promise<void> {
    if (readings.size === 0) {
      return;
    }
    try {
      await this.sync.applyReadings(readings, run.actor);
      for (let index = 0; index < readings.size; index++) {
        run.count('succeeded');
      }
    } catch (error) {
      this.logger.warn(
        `Sync round: applying a chunk of ${readings.size} failed (${error instanceof Error ? error.message : 'unexpected error'}); applying one by one`,
      );
      for (const [wabaId, reading] of readings) {
        run.count(await this.apply(run, gateway, wabaId, () => this.sync.applyReading(wabaId, reading, run.actor)));
      }
    }
  }

  /** Reads one WABA with its own token (fields, every number, terms) and applies it. */
  private async syncOne(run: RoundRun, gateway: SyncRoundMetaGateway, waba: ClaimedWaba): Promise<Outcome> {
    const until = gateway.throttledUntil(waba.wabaId);
    if (until) {
      await this.sync.deferSync(waba.wabaId, until, run.actor);
      return 'skipped';
    }
    return this.apply(run, gateway, waba.wabaId, async () => {
      const reading = await this.sync.readWith(gateway, waba, this.secrets.open(waba.sealedToken));
      return this.sync.applyReading(waba.wabaId, reading, run.actor);
    });
  }

  private async apply(
    run: RoundRun,
    gateway: SyncRoundMetaGateway,
    wabaId: string,
    work: () => Promise<unknown>,
  ): Promise<Outcome> {
    try {
      await work();
      return 'succeeded';
    } catch (error) {
      return this.recordFailure(run, gateway, wabaId, error);
    }
  }

  /**
   * Records a failed read: the failure counter and back-off (or REAUTH_REQUIRED) via
   * {@link WabaSyncService.recordFailure}; a throttled WABA is also held until Meta's estimated time to
   * regain access and reported as skipped.
   */
  private async recordFailure(
    run: RoundRun,
    gateway: SyncRoundMetaGateway,
    wabaId: string,
    error: unknown,
  ): Promise<Outcome> {
    await this.sync.recordFailure(wabaId, error, run.actor);
    if (error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.RATE_LIMITED) {
      const until = gateway.throttledUntil(wabaId);
      if (until) {
        await this.sync.deferSync(wabaId, until, run.actor);
      }
      return 'skipped';
    }
    return 'failed';
  }

  /** Meta IDs of the numbers already stored for these WABAs, by WABA. */
  private async knownNumbers(wabaIds: string[]): Promise<Map<string, string[]>> {
    const byWaba = new Map<string, string[]>();
    if (wabaIds.length === 0) {
      return byWaba;
    }
    const rows: Array<{ phone_number_id: string; waba_id: string }> = await this.em.getConnection().execute(
      `SELECT p.phone_number_id, w.waba_id
         FROM phone_numbers p JOIN wabas w ON w.id = p.waba_id
        WHERE w.waba_id IN (?)
        ORDER BY p.phone_number_id`,
      [wabaIds],
    );
    for (const row of rows) {
      byWaba.set(row.waba_id, [...(byWaba.get(row.waba_id) ?? []), row.phone_number_id]);
    }
    return byWaba;
  }

  /**
   * Ends this instance's claims on WABAs whose outcome is recorded (their next_sync_at moved on) and stamps
   * them handled, so that no full round running since before now reads them again.
   */
  private async release(wabaIds: string[]): Promise<void> {
    if (wabaIds.length === 0) {
      return;
    }
    await this.em.getConnection().execute(
      `UPDATE wabas SET sync_claimed_by = NULL, sync_claim_expires_at = NULL, sync_handled_at = now()
        WHERE waba_id IN (?) AND sync_claimed_by = ?`,
      [wabaIds, this.instanceId],
    );
  }

  private systemUserToken(): string {
    return this.config.get('meta.systemUserToken', { infer: true });
  }
}

/**
 * The shared state of one round on one instance: a queue of tasks fed by claims, taken by the workers.
 * A worker claims the next batch only when the queue is empty; the round is over for this instance when
 * nothing is left to claim, the queue is empty and no task is running (a running group may still push
 * per-WABA fallbacks).
 */
class RoundRun {
  readonly counts = { succeeded: 0, failed: 0, skipped: 0 };
  claimError: Error | null = null;
  private readonly queue: RoundTask[] = [];
  private running = 0;
  private exhausted = false;
  private claiming: Promise<void> | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    /** Who asked for the round: the audit actor of what it applies. */
    readonly actor: string,
    private readonly claim: () => Promise<RoundTask[]>,
  ) {}

  async take(): Promise<RoundTask | null> {
    for (;;) {
      const task = this.queue.shift();
      if (task) {
        this.running += 1;
        return task;
      }
      if (!this.exhausted) {
        this.claiming ??= this.claimNext();
        await this.claiming;
        continue;
      }
      if (this.running === 0) {
        this.wake();
        return null;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  done(): void {
    this.running -= 1;
    this.wake();
  }

  push(tasks: RoundTask[]): void {
    this.queue.push(...tasks);
    this.wake();
  }

  count(outcome: Outcome): void {
    this.counts[outcome] += 1;
  }

  private async claimNext(): Promise<void> {
    try {
      const tasks = await this.claim();
      if (tasks.length === 0) {
        this.exhausted = true;
      }
      this.queue.push(...tasks);
    } catch (error) {
      this.claimError = error instanceof Error ? error : new Error('Claiming due WABAs failed');
      this.exhausted = true;
    } finally {
      this.claiming = null;
      this.wake();
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}

function isRejectedToken(error: Error | undefined): boolean {
  return error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}
