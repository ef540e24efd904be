import { isOlderReport } from 'src/common/time/as-of';
import type { TemplateSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import type { WabaTemplate } from './waba-template.entity';

/** The independently dated facts of a template, each with the column holding Meta's time of its report. */
const TEMPLATE_FACT_AS_OF = {
  status: 'statusAt',
  category: 'categoryAt',
  quality: 'qualityAt',
} as const satisfies Record<string, keyof WabaTemplate>;

/** One of the dated facts of a template. */
export type TemplateFact = keyof typeof TEMPLATE_FACT_AS_OF;

/** The fields the facts of a template are made of (a stored template, or one being created). */
export type TemplateFacts = Pick<
  WabaTemplate,
  | 'category'
  | 'previousCategory'
  | 'pendingCategory'
  | 'status'
  | 'reason'
  | 'quality'
  | 'metaUpdatedAt'
  | 'statusAt'
  | 'categoryAt'
  | 'qualityAt'
>;

/**
 * Applies a report of one fact as of `observedAt` unless the fact shows a newer report (whole seconds, as
 * for WABAs and numbers: Meta's `entry.time` has that precision); returns whether it applied.
 */
export function observeTemplateFact(
  template: TemplateFacts,
  fact: TemplateFact,
  observedAt: Date,
  apply: () => void,
): boolean {
  const column = TEMPLATE_FACT_AS_OF[fact];
  const asOf = template[column];
  if (isOlderReport(observedAt, asOf)) {
    return false;
  }
  apply();
  template[column] = asOf !== null && asOf.getTime() > observedAt.getTime() ? asOf : observedAt;
  if (template.metaUpdatedAt === null || template.metaUpdatedAt.getTime() < observedAt.getTime()) {
    template.metaUpdatedAt = observedAt;
  }
  return true;
}

/** `rejected_reason`/`reason` as stored: Meta's `NONE` (and nothing) is no reason. */
export function reasonOf(value: string | null | undefined): string | null {
  return value && value !== 'NONE' ? value.slice(0, 512) : null;
}

/**
 * The pending category a read reports (§A.1.2): `correct_category` when it differs from `category`;
 * equal means the change happened already, empty means the template is unaffected.
 */
export function pendingOf(category: string | null, correctCategory: string | null): string | null {
  return correctCategory && correctCategory !== category ? correctCategory : null;
}

/**
 * A read of the template (the list of `message_templates`) as of when it began: every fact the read
 * carries, each unless a newer report set it. Returns the facts that changed.
 */
export function applyTemplateSnapshot(
  template: TemplateFacts,
  snapshot: TemplateSnapshot,
  observedAt: Date,
): TemplateFact[] {
  const changed: TemplateFact[] = [];
  const before = { ...template };
  observeTemplateFact(template, 'status', observedAt, () => {
    template.status = snapshot.status;
    template.reason = reasonOf(snapshot.rejectedReason) ?? (snapshot.status === before.status ? before.reason : null);
  });
  observeTemplateFact(template, 'category', observedAt, () => {
    template.category = snapshot.category;
    template.previousCategory = snapshot.previousCategory;
    template.pendingCategory = pendingOf(snapshot.category, snapshot.correctCategory);
  });
  if (snapshot.quality !== null) {
    observeTemplateFact(template, 'quality', observedAt, () => {
      template.quality = snapshot.quality;
    });
  }
  if (template.status !== before.status || template.reason !== before.reason) {
    changed.push('status');
  }
  if (
    template.category !== before.category ||
    template.previousCategory !== before.previousCategory ||
    template.pendingCategory !== before.pendingCategory
  ) {
    changed.push('category');
  }
  if (template.quality !== before.quality) {
    changed.push('quality');
  }
  return changed;
}

/**
 * Meta's language code as the Graph API spells it: webhooks write `en-US` where the API writes `en_US`
 * (graph-api-2026.md fixtures), and sends name the API's spelling.
 */
export function normaliseLanguage(language: string): string {
  return language.replace(/-/g, '_');
}
