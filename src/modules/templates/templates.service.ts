import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { Transactions } from 'src/common/events/transactions';
import { decodeCursor, type Page } from 'src/common/http/pagination';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { TemplateSnapshot, TemplatesReadResult } from 'src/modules/meta-gateway/meta-gateway.types';
import { WabaConnection } from 'src/modules/wabas/wabas.constants';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { applyTemplateSnapshot, normaliseLanguage, observeTemplateFact, reasonOf } from './template-facts';
import {
  TEMPLATE_SYNC_RETRY_BASE_MS,
  TEMPLATE_SYNC_RETRY_MAX_MS,
  TemplateChangeOutcome,
  TemplateStatus,
} from './templates.constants';
import type { TemplateWebhookReport } from './templates.types';
import { WabaTemplate } from './waba-template.entity';
import {
  type TemplateListQuery,
  type TemplateRow,
  type TemplateWabaRef,
  WabaTemplateRepository,
} from './waba-template.repository';

export type { TemplateListQuery, TemplateRow } from './waba-template.repository';

/** What a send needs to know of a template before it goes (graph-api-2026.md §A.3). */
export interface SendableTemplate {
  templateId: string;
  name: string;
  language: string;
  /** The category sends are routed by (a pending change is not applied yet). */
  category: string | null;
  pendingCategory: string | null;
  /** Only APPROVED is sendable. */
  status: string | null;
  /** Why it is not sendable (rejection reason, pause title), when Meta said. */
  reason: string | null;
  /** Meta's time of the newest report applied to it: compare with a send error's evidence. */
  metaUpdatedAt: Date | null;
  /** When the WABA's templates were last read in full (null: never). */
  templatesSyncedAt: Date | null;
}

/** What the stored templates say about a send's template name and language (see `lookupForSend`). */
export interface TemplateLookup {
  /** The template in that language; null when the table has none. */
  template: SendableTemplate | null;
  /** The languages the name exists in (not DELETED), for saying where it does exist. */
  languages: string[];
  /** When the WABA's templates were last read in full; null: never, so the table knows nothing yet. */
  templatesSyncedAt: Date | null;
}

/** A WABA whose templates were read, with what the read said, as of when it began. */
export interface TemplatesReading {
  wabaId: string;
  templates: TemplateSnapshot[];
  observedAt: Date;
}

/** Outcome of one refresh of a WABA's templates. */
export type TemplatesRefreshOutcome = 'SYNCED' | 'FAILED' | 'SKIPPED';

/**
 * The templates' owner: the only writer of `waba_templates` and `waba_template_syncs`. Keeps each connected
 * WABA's message templates with their latest category, status and quality from reads of Meta (on connect,
 * in re-sync rounds when due, on demand) and from template webhooks, each fact dated by Meta's time so that
 * an older report never overrides a newer one. Every change runs in the caller's transaction when there is
 * one ({@link Transactions.run}); no Graph call runs inside a transaction.
 */
@Injectable()
export class TemplatesService {
  private readonly logger = new Logger(TemplatesService.name);

  constructor(
    private readonly templates: WabaTemplateRepository,
    private readonly em: EntityManager,
    private readonly transactions: Transactions,
    private readonly wabas: WabasService,
    private readonly meta: MetaGateway,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  /** One page of the organization's WABA's templates (404 for another organization's WABA). */
  async list(organizationId: string, wabaId: string, query: TemplateListQuery): Promise<Page<TemplateRow>> {
    if (query.cursor) {
      // A bad cursor is the request's fault whatever the WABA: 400 naming it before any lookup.
      decodeCursor(query.cursor, ['metaId']);
    }
    const waba = await this.wabas.getForOrganization(organizationId, wabaId);
    return this.templates.page(organizationId, waba.id, query);
  }

  /**
   * What the table says about a send's template (`name` + `language`) in a WABA the caller resolved: the
   * template, the languages the name exists in when it is missing, and when the WABA's templates were last
   * read (null: never, so the table knows nothing yet).
   */
  async lookupForSend(wabaId: string, name: string, language: string): Promise<TemplateLookup> {
    const [ref] = await this.templates.refsOf([wabaId], new Date());
    if (!ref) {
      return { template: null, languages: [], templatesSyncedAt: null };
    }
    const template = await this.sendableIn(ref, name, language);
    return {
      template,
      languages: template ? [] : await this.templates.languagesOf(ref.wabaRowId, name),
      templatesSyncedAt: template ? template.templatesSyncedAt : await this.templates.syncedAt(ref.wabaRowId),
    };
  }

  /**
   * The template a send names (`name` + `language`, Graph's spelling or a webhook's `en-US`) in a WABA the
   * caller resolved, with what decides whether it can be sent; null when the WABA has no such template.
   */
  async findSendable(wabaId: string, name: string, language: string): Promise<SendableTemplate | null> {
    const [ref] = await this.templates.refsOf([wabaId], new Date());
    return ref ? this.sendableIn(ref, name, language) : null;
  }

  private async sendableIn(ref: TemplateWabaRef, name: string, language: string): Promise<SendableTemplate | null> {
    const template = await this.templates.findByNameAndLanguage(ref.wabaRowId, name, normaliseLanguage(language));
    if (!template) {
      return null;
    }
    return {
      templateId: template.templateId,
      name: template.name,
      language: template.language,
      category: template.category,
      pendingCategory: template.pendingCategory,
      status: template.status,
      reason: template.reason,
      metaUpdatedAt: template.metaUpdatedAt,
      templatesSyncedAt: await this.templates.syncedAt(ref.wabaRowId),
    };
  }

  /** How many APPROVED MARKETING templates the WABA (row ID) has: what MM Lite can send. */
  async countApprovedMarketing(wabaRowId: string): Promise<number> {
    return (await this.templates.countApprovedMarketing([wabaRowId])).get(wabaRowId) ?? 0;
  }

  /**
   * Reads the WABA's templates from Meta now with its own token and applies them (audited nowhere: the
   * templates carry their source, SYNC). For the connect, a send error that says they are stale, and
   * webhooks. Never throws for Meta's failures: records them (the WABA's templates back off and are read
   * again by a round) and returns FAILED. Must run outside any transaction. A caller that holds the WABA's
   * token of a valid connection (the connect, which just used it) passes it, and the WABA is not read again.
   */
  async refreshWabaTemplates(wabaId: string, connectedToken?: string): Promise<TemplatesRefreshOutcome> {
    const token = connectedToken ?? (await this.tokenOfConnected(wabaId));
    if (token === null || this.meta.throttledUntil(wabaId)) {
      return 'SKIPPED';
    }
    const observedAt = new Date();
    try {
      const templates = await this.meta.listMessageTemplates(wabaId, token);
      await this.applyReadings([{ wabaId, templates, observedAt }]);
      return 'SYNCED';
    } catch (error) {
      await this.recordReadFailure(wabaId, error);
      return 'FAILED';
    }
  }

  /** The token of a WABA whose connection Meta has not rejected; null when it is gone or needs re-authorization. */
  private async tokenOfConnected(wabaId: string): Promise<string | null> {
    const waba = await this.wabas.findByWabaId(wabaId);
    return waba && waba.connection !== WabaConnection.REAUTH_REQUIRED ? this.wabas.revealToken(waba) : null;
  }

  /**
   * Of these WABAs (named by row and Meta ID, as a sync round's claim returns them), the Meta IDs of those
   * whose templates are due for a read now (never read counts as due).
   */
  async dueForRead(wabas: ReadonlyArray<{ rowId: string; wabaId: string }>, now: Date = new Date()): Promise<string[]> {
    const notDue = await this.templates.notDueOf(
      wabas.map((waba) => waba.rowId),
      now,
    );
    return wabas.filter((waba) => !notDue.has(waba.rowId)).map((waba) => waba.wabaId);
  }

  /**
   * Applies a multi-WABA read (a sync round's `readTemplatesOfWabas`, begun at `observedAt`): the complete
   * lists in one transaction, then each failure recorded with its back-off.
   */
  async applyRead(result: TemplatesReadResult, observedAt: Date): Promise<void> {
    await this.applyReadings([...result.found].map(([wabaId, templates]) => ({ wabaId, templates, observedAt })));
    for (const [wabaId, error] of result.failed) {
      await this.recordReadFailure(wabaId, error);
    }
  }

  /**
   * Applies complete reads of WABAs' templates in one transaction (the caller's when there is one): each
   * template's facts as of when its read began, unless a newer report set them; templates Meta no longer
   * lists are DELETED. The WABAs are then due again after TEMPLATE_SYNC_INTERVAL_HOURS.
   */
  async applyReadings(readings: TemplatesReading[]): Promise<void> {
    if (readings.length === 0) {
      return;
    }
    await this.transactions.run(async (em) => {
      const refs = new Map(
        (
          await this.templates.refsOf(
            readings.map((reading) => reading.wabaId),
            new Date(),
          )
        ).map((ref) => [ref.wabaId, ref]),
      );
      const stored = await this.templates.lockOfWabas([...refs.values()].map((ref) => ref.wabaRowId));
      const byWaba = new Map<string, Map<string, WabaTemplate>>();
      for (const template of stored) {
        const wabaRowId = template.waba.id;
        const own = byWaba.get(wabaRowId) ?? new Map<string, WabaTemplate>();
        own.set(template.templateId, template);
        byWaba.set(wabaRowId, own);
      }
      const earliest = new Date(Math.min(...readings.map((reading) => reading.observedAt.getTime())));
      for (const reading of readings) {
        const ref = refs.get(reading.wabaId);
        if (!ref) {
          continue;
        }
        const own = byWaba.get(ref.wabaRowId) ?? new Map<string, WabaTemplate>();
        for (const snapshot of reading.templates) {
          const template =
            own.get(snapshot.id) ??
            this.create(
              em,
              ref,
              { templateId: snapshot.id, name: snapshot.name, language: snapshot.language ?? '' },
              ChangeSource.SYNC,
            );
          own.delete(snapshot.id);
          if (snapshot.language && template.language !== normaliseLanguage(snapshot.language)) {
            // A template created from a webhook, or read without its language before.
            template.language = normaliseLanguage(snapshot.language).slice(0, 32);
          }
          if (applyTemplateSnapshot(template, snapshot, reading.observedAt).length > 0) {
            template.source = ChangeSource.SYNC;
          }
        }
        for (const gone of own.values()) {
          if (gone.status !== TemplateStatus.DELETED) {
            observeTemplateFact(gone, 'status', reading.observedAt, () => {
              gone.status = TemplateStatus.DELETED;
              gone.source = ChangeSource.SYNC;
            });
          }
        }
      }
      await em.flush();
      await this.templates.recordSynced([...refs.values()], earliest, this.nextDue());
    });
  }

  /**
   * A template webhook (graph-api-2026.md §A.2) about a stored WABA, as of Meta's `observedAt`, in the
   * caller's transaction (the webhook worker's batch) after the lease `context.fence` checks:
   * - status: the event's status and reason (a pause's title, a rejection's reason);
   * - category, impending: only the pending category (sends keep routing on the current one);
   * - category, completed: the new category, the previous one kept, nothing pending;
   * - quality: the new score;
   * - components: nothing stored changes; the WABA's templates are due for a read.
   * A template not stored yet is created from a status update (it carries the category); for the others the
   * WABA's templates are due for a read now (REFRESH_SCHEDULED). Older than the fact it reports: STALE.
   */
  async applyWebhook(
    wabaId: string,
    report: TemplateWebhookReport,
    observedAt: Date,
    context: ChangeContext,
  ): Promise<TemplateChangeOutcome> {
    return this.transactions.run(async (em) => {
      await context.fence?.(em);
      const [ref] = await this.templates.refsOf([wabaId], new Date());
      if (!ref) {
        return TemplateChangeOutcome.REFRESH_SCHEDULED;
      }
      let template = await this.templates.lockOne(ref.wabaRowId, report.templateId);
      if (!template && report.kind === 'status' && report.status && report.category) {
        template = this.create(
          em,
          ref,
          { templateId: report.templateId, name: report.name, language: report.language },
          context.source,
        );
      }
      if (!template || report.kind === 'components') {
        if (template && (template.metaUpdatedAt === null || template.metaUpdatedAt < observedAt)) {
          template.metaUpdatedAt = observedAt;
        }
        await this.templates.markDue(ref, new Date());
        return TemplateChangeOutcome.REFRESH_SCHEDULED;
      }
      const target = template;
      const applied = applyReport(target, report, observedAt);
      if (applied) {
        target.source = context.source;
      }
      return applied ? TemplateChangeOutcome.APPLIED : TemplateChangeOutcome.STALE;
    });
  }

  /** A new template of the WABA; an empty language is one Meta did not say yet (no send names it). */
  private create(
    em: EntityManager,
    ref: TemplateWabaRef,
    key: { templateId: string; name: string; language: string },
    source: ChangeSource,
  ): WabaTemplate {
    const template = new WabaTemplate(
      ref.organizationId,
      ref.wabaRowId,
      {
        templateId: key.templateId,
        name: key.name.slice(0, 512),
        language: normaliseLanguage(key.language).slice(0, 32),
      },
      source,
    );
    em.persist(template);
    return template;
  }

  /** Records a failed read: the WABA's templates back off exponentially (a token refused waits longest). */
  private async recordReadFailure(wabaId: string, error: unknown): Promise<void> {
    const code = error instanceof MetaGatewayException ? error.code : MetaGatewayErrorCode.UNKNOWN;
    this.logger.warn(`Reading the templates of WABA ${wabaId} failed: ${code}`);
    try {
      await this.transactions.run(async () => {
        const [ref] = await this.templates.refsOf([wabaId], new Date());
        if (ref) {
          await this.templates.recordFailure(ref, code, new Date(), backoffMs);
        }
      });
    } catch (recordError) {
      // The read is retried by the next round anyway (the WABA stays due): never fail the caller for it.
      this.logger.error(
        `Recording the failed template read of WABA ${wabaId} failed: ${recordError instanceof Error ? recordError.message : 'unexpected error'}`,
      );
    }
  }

  private nextDue(): Date {
    const hours = this.config.get('scheduler.templateSyncIntervalHours', { infer: true });
    return new Date(Date.now() + hours * 3_600_000);
  }
}

/** Applies one webhook report to a stored template as of `observedAt`; false when it is stale. */
function applyReport(template: WabaTemplate, report: TemplateWebhookReport, observedAt: Date): boolean {
  switch (report.kind) {
    case 'status':
      return observeTemplateFact(template, 'status', observedAt, () => {
        if (report.status) {
          template.status = report.status;
        }
        template.reason = reasonOf(report.reason);
        // The event's category is informative (§A.2.5): it fills a category nobody read yet, never changes one.
        template.category ??= report.category;
      });
    case 'category-impending':
      return observeTemplateFact(template, 'category', observedAt, () => {
        template.category ??= report.currentCategory;
        template.pendingCategory = report.correctCategory !== template.category ? report.correctCategory : null;
      });
    case 'category-completed':
      return observeTemplateFact(template, 'category', observedAt, () => {
        template.previousCategory = report.previousCategory ?? template.category;
        template.category = report.newCategory;
        template.pendingCategory = null;
      });
    case 'quality':
      return observeTemplateFact(template, 'quality', observedAt, () => {
        template.quality = report.quality;
      });
    case 'components':
      return false;
  }
}

function backoffMs(failures: number): number {
  return Math.min(TEMPLATE_SYNC_RETRY_MAX_MS, TEMPLATE_SYNC_RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
}
