import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { SecretBox } from 'src/common/security/secret-box';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { TemplatesService } from 'src/modules/templates/templates.service';
import { WabaSyncStateService } from 'src/modules/wabas/waba-sync-state.service';
import { WabaWebhooksService } from 'src/modules/wabas/waba-webhooks.service';
import type { ClaimedWaba, RoundScope, SyncClaim } from 'src/modules/wabas/waba-sync.types';

import {
  SYNC_ROUND_CLAIM_BATCH_SIZE,
  SYNC_ROUND_LEASE_RENEWALS_PER_LEASE,
  SYNC_ROUND_MAX_WORKERS,
  SYNC_ROUND_SCHEDULED_ACTOR,
  SYNC_ROUND_WORKERS_PER_CALL_SLOT,
} from './sync-round.constants';
import { ConcurrencyLimiter } from './sync-round.limiter';
import { SyncRoundObserver } from './sync-round.observer';
import { LimitedSyncRoundReads, readNumbers } from './sync-round.reads';
import { applyRoundTemplates, readDueTemplates } from './sync-round.templates';
import type { SyncRoundResult } from './sync-round.types';
import { type Outcome, planTasks, RoundRun, type RoundTask } from './sync-round.run';
import { checkDueWebhooks } from './sync-round.webhooks';
import { type WabaReading, WabaSyncService } from './waba-sync.service';
import type { Actor } from 'src/modules/organizations/actor';

/**
 * The re-sync (product-spec §2.8): re-reads connected WABAs' fields, their numbers and their MM Lite
 * status, and applies them through {@link WabaSyncService}. The periodic round ({@link runRound}) takes
 * the due WABAs; a full round ({@link runFullRound}, the admin endpoint) takes every WABA, due or not.
 *
 * Several instances share a round through per-WABA claims on the `wabas` row taken with `FOR UPDATE SKIP
 * LOCKED` ({@link WabaSyncStateService.claimForSyncRound}): each instance keeps claiming batches until no eligible, unclaimed
 * WABA is left, so no WABA is read twice and no instance idles while work remains. Each batch is claimed
 * under its own token with a lease (SYNC_CLAIM_LEASE_MS) that the round renews while it holds the WABAs,
 * however slow Meta is; the lease runs out only when the instance is gone or stalled, and another instance
 * may then take the WABAs over. Recording an outcome (applying a reading, a failure, a deferral) checks
 * under the WABA's row lock that the claim still stands, and so does releasing it: an instance that lost
 * a claim never applies what it read nor frees what another instance is reading.
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
 * back to one read per WABA with its own token, so one bad WABA never fails its neighbours. No database
 * transaction is open while Meta is called: reads come first, then each outcome is recorded in its own.
 *
 * Message templates are read far less often than statuses: only for the WABAs whose templates are due
 * (TEMPLATE_SYNC_INTERVAL_HOURS after their last read, sooner when a webhook named an unknown template or a
 * read failed), with one more multi-ID call per chunk (`message_templates` expanded, ≤ 50 WABAs) that goes
 * out with the chunk's status reads. A failed template read never fails the WABA's sync.
 */
@Injectable()
export class SyncRoundService {
  private readonly logger = new Logger(SyncRoundService.name);
  /** This instance, as written into the claims (hostname, pid and a random suffix). */
  readonly instanceId = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly claims: WabaSyncStateService,
    private readonly meta: MetaGateway,
    private readonly sync: WabaSyncService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly templates: TemplatesService,
    private readonly secrets: SecretBox,
    private readonly config: ConfigService<AllConfig, true>,
    private readonly webhooks: WabaWebhooksService,
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
  async runFullRound(requestedBy: Actor): Promise<SyncRoundResult> {
    // The database's clock, because sync_handled_at is stamped by it on whichever instance releases.
    return this.run({ kind: 'full', startedAt: await this.claims.databaseNow() }, requestedBy);
  }

  private async run(scope: RoundScope, requestedBy: Actor): Promise<SyncRoundResult> {
    const startedAt = Date.now();
    const concurrency = this.config.get('scheduler.syncConcurrency', { infer: true });
    const leaseMs = this.leaseMs();
    const limiter = new ConcurrencyLimiter(concurrency);
    const gateway = new LimitedSyncRoundReads(this.meta, limiter);
    const run = new RoundRun(
      requestedBy,
      (batches) =>
        this.claims.claimForSyncRound(scope, {
          owner: this.instanceId,
          leaseMs,
          byToken: !this.systemUserToken(),
          limit: batches * SYNC_ROUND_CLAIM_BATCH_SIZE,
        }),
      (claimed) => this.plan(claimed),
    );
    const workers = Math.min(SYNC_ROUND_MAX_WORKERS, concurrency * SYNC_ROUND_WORKERS_PER_CALL_SLOT);

    const stopRenewing = this.keepLeases(run, leaseMs);
    try {
      await Promise.all(Array.from({ length: workers }, () => this.work(run, gateway)));
    } finally {
      await stopRenewing();
    }
    const { metaCalls: webhooksCalls, ...webhooks } = await checkDueWebhooks(
      this.webhooks,
      scope.kind === 'due' ? scope.cutoff : new Date(),
      limiter,
      requestedBy,
      this.logger,
    );

    const result: SyncRoundResult = {
      wabas: run.counts.succeeded + run.counts.failed + run.counts.skipped,
      ...run.counts,
      metaCalls: gateway.calls + webhooksCalls,
      webhooks,
      durationMs: Date.now() - startedAt,
    };
    this.logger.log(
      `Sync round ended: scope=${scope.kind} by=${requestedBy} instance=${this.instanceId} wabas=${result.wabas} ` +
        `succeeded=${result.succeeded} failed=${result.failed} skipped=${result.skipped} lost=${run.lostCount} ` +
        `webhooksChecked=${webhooks.checked} webhooksResubscribed=${webhooks.resubscribed} ` +
        `metaCalls=${result.metaCalls} durationMs=${result.durationMs}`,
    );
    this.observer?.recordRound(result, run.claimError !== null);
    if (run.claimError) {
      // The database failed under the round: what was claimed is handled, the rest waits for the next round.
      throw run.claimError;
    }
    return result;
  }

  /**
   * The tasks of a claimed batch ({@link planTasks}), its groups with the numbers stored under their WABAs and
   * the WABAs whose templates are due, each read with one statement for the whole claim rather than one per
   * group. Should such a read fail, each group reads its own (and a failure there is the group's, as before).
   */
  private async plan(claimed: ClaimedWaba[]): Promise<RoundTask[]> {
    const tasks = planTasks(
      claimed,
      this.systemUserToken(),
      (waba) => this.openToken(waba),
      SYNC_ROUND_CLAIM_BATCH_SIZE,
    );
    const groups = tasks.filter((task) => task.kind === 'group');
    if (groups.length === 0) {
      return tasks;
    }
    const wabas = groups.flatMap((group) => group.wabas);
    const [numbers, templatesDue] = await Promise.allSettled([
      this.phoneNumbers.phoneNumberIdsByWaba(wabas),
      this.templates.dueForRead(wabas),
    ]);
    for (const group of groups) {
      if (numbers.status === 'fulfilled') {
        group.numbers = numbers.value;
      }
      if (templatesDue.status === 'fulfilled') {
        group.templatesDue = new Set(templatesDue.value);
      }
    }
    for (const [what, read] of [
      ['numbers', numbers],
      ['templates due', templatesDue],
    ] as const) {
      if (read.status === 'rejected') {
        this.logger.warn(
          `Sync round: reading the claimed WABAs' ${what} failed (${describe(read.reason)}); each group reads its own`,
        );
      }
    }
    return tasks;
  }

  /**
   * Renews the round's leases {@link SYNC_ROUND_LEASE_RENEWALS_PER_LEASE} times per lease, one renewal at a
   * time, until the returned function is called (it waits for a renewal under way).
   */
  private keepLeases(run: RoundRun, leaseMs: number): () => Promise<void> {
    const state: { renewing: Promise<void> | null } = { renewing: null };
    const timer = setInterval(
      () => {
        state.renewing ??= this.renewLeases(run, leaseMs).finally(() => {
          state.renewing = null;
        });
      },
      Math.floor(leaseMs / SYNC_ROUND_LEASE_RENEWALS_PER_LEASE),
    );
    return async () => {
      clearInterval(timer);
      await state.renewing;
    };
  }

  /**
   * Extends the leases of the claims the round still holds; a claim found taken over (its lease ran out
   * while this instance stalled, and another claimed the WABA) is dropped from the round. A failed renewal
   * is only logged: the next one retries, and the apply checks the claim anyway.
   */
  private async renewLeases(run: RoundRun, leaseMs: number): Promise<void> {
    const asked = run.heldClaims();
    if (asked.size === 0) {
      return;
    }
    try {
      const tokens = [...new Set([...asked.values()].map((claim) => claim.token))];
      run.renewed(asked, await this.claims.renewSyncClaims(this.instanceId, tokens, leaseMs));
    } catch (error) {
      this.logger.warn(`Renewing the sync round's claims failed: ${describe(error)}`);
    }
  }

  private async work(run: RoundRun, gateway: LimitedSyncRoundReads): Promise<void> {
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

  private async execute(run: RoundRun, gateway: LimitedSyncRoundReads, task: RoundTask): Promise<void> {
    if (task.kind === 'single') {
      run.count(run.holds(task.waba) ? await this.syncOne(run, gateway, task.waba) : 'lost');
      await this.release(run, task.waba.claim, [task.waba.wabaId]);
      return;
    }
    const claim = task.wabas[0].claim;
    const { handled, released, fallback } = await this.syncGroup(run, gateway, task);
    run.released(claim, [...released]);
    await this.release(
      run,
      claim,
      handled.filter((wabaId) => !released.has(wabaId)),
    );
    run.push(fallback.map((waba) => ({ kind: 'single', waba })));
  }

  /**
   * Reads a group with multi-ID calls: the WABAs' fields (MM Lite status and the portfolio's terms come
   * with them) and their known numbers. Returns the WABAs whose outcome is recorded, those of them whose
   * claim the apply released already, and those to read one by one (their chunk failed, or one of their
   * numbers could not be read). All the WABAs of a group come from one claimed batch, under one claim.
   */
  private async syncGroup(
    run: RoundRun,
    gateway: LimitedSyncRoundReads,
    task: Extract<RoundTask, { kind: 'group' }>,
  ): Promise<{ handled: string[]; released: Set<string>; fallback: ClaimedWaba[] }> {
    const claim = task.wabas[0].claim;
    const handled: string[] = [];
    const fallback: ClaimedWaba[] = [];
    const active: ClaimedWaba[] = [];
    for (const waba of task.wabas) {
      const until = gateway.throttledUntil(waba.wabaId);
      if (!run.holds(waba)) {
        run.count('lost');
      } else if (until) {
        run.count((await this.sync.deferSync(waba.wabaId, until, run.actor, claim)) ? 'skipped' : 'lost');
        handled.push(waba.wabaId);
      } else {
        active.push(waba);
      }
    }
    if (active.length === 0) {
      return { handled, released: new Set(), fallback };
    }

    // The numbers known before the read (as the claim found them), so that their calls go out with the WABAs'
    // call, not after it: a chunk waits one Meta latency, not two (a number added meanwhile arrives through
    // webhooks or the next read).
    const activeIds = active.map((waba) => waba.wabaId);
    const [numbersByWaba, templatesDue] = await Promise.all([
      task.numbers ?? this.phoneNumbers.phoneNumberIdsByWaba(active),
      task.templatesDue
        ? activeIds.filter((wabaId) => task.templatesDue?.has(wabaId))
        : this.templates.dueForRead(active),
    ]);
    const observedAt = new Date();
    const [fields, phones, templates] = await Promise.all([
      gateway.getWabas(activeIds, task.token),
      readNumbers(
        gateway,
        activeIds.flatMap((wabaId) => numbersByWaba.get(wabaId) ?? []),
        task.token,
      ),
      readDueTemplates(gateway, templatesDue, task.token, this.logger),
    ]);

    const readings = new Map<string, WabaReading>();
    for (const waba of active) {
      const snapshot = fields.found.get(waba.wabaId);
      const failure = fields.failed.get(waba.wabaId);
      if (!snapshot) {
        if (task.ownToken && isRejectedToken(failure)) {
          // The WABA's own token was refused: reading it alone with the same token would only repeat that.
          run.count(await this.recordFailure(run, gateway, waba.wabaId, failure, claim));
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
    const released = await this.applyChunk(gateway, run, readings, claim);
    // The WABAs that fall back read their templates on their own path, with their own token.
    await applyRoundTemplates(this.templates, templates, observedAt, new Set(readings.keys()), this.logger);
    if (fallback.length > 0) {
      this.logger.warn(`Sync round: ${fallback.length} WABA(s) of a multi-ID read fall back to one read each`);
    }
    return { handled, released, fallback };
  }

  /**
   * Applies a chunk's readings in one transaction (the round's cost is the writing, not Meta), which also
   * releases the claim on the WABAs it applies; if that fails, each WABA is applied on its own so one bad
   * row cannot fail its chunk-mates. A WABA whose claim was taken over meanwhile is not applied (its new
   * holder reads and applies it). Returns the WABAs whose claim the apply released.
   */
  private async applyChunk(
    gateway: LimitedSyncRoundReads,
    run: RoundRun,
    readings: Map<string, WabaReading>,
    claim: SyncClaim,
  ): Promise<Set<string>> {
    if (readings.size === 0) {
      return new Set();
    }
    try {
      const appliedIds = new Set(await this.sync.applyReadingsInBulk(readings, run.actor, { claim, release: true }));
      for (const wabaId of readings.keys()) {
        run.count(appliedIds.has(wabaId) ? 'succeeded' : 'lost');
      }
      return appliedIds;
    } catch (error) {
      this.logger.warn(
        `Sync round: applying a chunk of ${readings.size} failed (${error instanceof Error ? error.message : 'unexpected error'}); applying one by one`,
      );
      for (const [wabaId, reading] of readings) {
        run.count(
          await this.apply(run, gateway, wabaId, claim, () =>
            this.sync.applyReading(wabaId, reading, run.actor, { claim }),
          ),
        );
      }
      return new Set();
    }
  }

  /** Reads one WABA with its own token (fields, every number, terms) and applies it. */
  private async syncOne(run: RoundRun, gateway: LimitedSyncRoundReads, waba: ClaimedWaba): Promise<Outcome> {
    const until = gateway.throttledUntil(waba.wabaId);
    if (until) {
      return (await this.sync.deferSync(waba.wabaId, until, run.actor, waba.claim)) ? 'skipped' : 'lost';
    }
    return this.apply(run, gateway, waba.wabaId, waba.claim, async () => {
      const token = this.secrets.open(waba.sealedToken);
      const reading = await this.sync.readWith(gateway, waba, token);
      const applied = await this.sync.applyReading(waba.wabaId, reading, run.actor, { claim: waba.claim });
      if (applied) {
        const observedAt = new Date();
        const templates = await readDueTemplates(gateway, await this.templates.dueForRead([waba]), token, this.logger);
        await applyRoundTemplates(this.templates, templates, observedAt, new Set([waba.wabaId]), this.logger);
      }
      return applied;
    });
  }

  /** Runs a read-and-apply (`work` resolves to null when the claim was lost); a failure is recorded. */
  private async apply(
    run: RoundRun,
    gateway: LimitedSyncRoundReads,
    wabaId: string,
    claim: SyncClaim,
    work: () => Promise<unknown>,
  ): Promise<Outcome> {
    try {
      return (await work()) === null ? 'lost' : 'succeeded';
    } catch (error) {
      return this.recordFailure(run, gateway, wabaId, error, claim);
    }
  }

  /**
   * Records a failed read: the failure counter and back-off (or REAUTH_REQUIRED) via
   * {@link WabaSyncService.recordFailure}; a throttled WABA is also held until Meta's estimated time to
   * regain access and reported as skipped. Nothing is recorded once the claim is lost.
   */
  private async recordFailure(
    run: RoundRun,
    gateway: LimitedSyncRoundReads,
    wabaId: string,
    error: unknown,
    claim: SyncClaim,
  ): Promise<Outcome> {
    if (!(await this.sync.recordFailure(wabaId, error, run.actor, { claim }))) {
      return 'lost';
    }
    if (error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.RATE_LIMITED) {
      const until = gateway.throttledUntil(wabaId);
      if (until) {
        await this.sync.deferSync(wabaId, until, run.actor, claim);
      }
      return 'skipped';
    }
    return 'failed';
  }

  /** Releases the round's claim on WABAs whose outcome is recorded (see WabaSyncStateService.releaseSyncClaims). */
  private async release(run: RoundRun, claim: SyncClaim, wabaIds: string[]): Promise<void> {
    await this.claims.releaseSyncClaims(claim, wabaIds);
    run.released(claim, wabaIds);
  }

  private openToken(waba: ClaimedWaba): string | null {
    try {
      return this.secrets.open(waba.sealedToken);
    } catch {
      return null;
    }
  }

  private leaseMs(): number {
    return this.config.get('scheduler.syncClaimLeaseMs', { infer: true });
  }

  private systemUserToken(): string {
    return this.config.get('meta.systemUserToken', { infer: true });
  }
}

function isRejectedToken(error: Error | undefined): boolean {
  return error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}
