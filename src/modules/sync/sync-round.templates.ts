import type { Logger } from '@nestjs/common';

import type { TemplatesReadResult } from 'src/modules/meta-gateway/meta-gateway.types';
import type { TemplatesService } from 'src/modules/templates/templates.service';

import type { LimitedSyncRoundReads } from './sync-round.reads';

/**
 * The due WABAs' templates in multi-ID calls through the round's limited reads (none when nothing is due:
 * most chunks of most rounds); never throws, a failed read leaves the WABAs due.
 */
export async function readDueTemplates(
  gateway: LimitedSyncRoundReads,
  wabaIds: string[],
  token: string,
  logger: Logger,
): Promise<TemplatesReadResult | null> {
  if (wabaIds.length === 0) {
    return null;
  }
  try {
    return await gateway.readTemplatesOfWabas(wabaIds, token);
  } catch (error) {
    logger.warn(`Sync round: reading the templates of ${wabaIds.length} WABA(s) failed: ${describe(error)}`);
    return null;
  }
}

/**
 * Applies what a template read found for the WABAs whose sync was applied (`applied`: a WABA that falls back
 * to its own read reads its templates there), and records its failures; a failure here is logged, never the
 * WABAs' outcome (their templates stay due).
 */
export async function applyRoundTemplates(
  templates: TemplatesService,
  read: TemplatesReadResult | null,
  observedAt: Date,
  applied: Set<string>,
  logger: Logger,
): Promise<void> {
  if (!read) {
    return;
  }
  const keep = <T>(entries: Map<string, T>): Map<string, T> =>
    new Map([...entries].filter(([wabaId]) => applied.has(wabaId)));
  try {
    await templates.applyRead({ found: keep(read.found), failed: keep(read.failed), calls: read.calls }, observedAt);
  } catch (error) {
    logger.warn(`Sync round: applying the templates of ${read.found.size} WABA(s) failed: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}
