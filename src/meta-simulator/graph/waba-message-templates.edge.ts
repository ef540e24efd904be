import { SIM_DEFAULT_PAGE_LIMIT } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject, JsonValue, SimTemplate, SimWaba } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiError } from './graph-api.error';
import type { GraphRequest } from './graph-api.types';
import { type FieldSelection, renderNode, selectionOf } from './graph-fields.util';
import { paginate } from './graph-paging.util';
import { asString } from './graph-params.util';

/** Fields of each template listed without `fields=` (graph-api-2026.md §A.1.1, fixture `…get.default`). */
export const TEMPLATE_LIST_DEFAULT = [
  'name',
  'parameter_format',
  'components',
  'language',
  'status',
  'category',
  'sub_category',
  'id',
];

/** Node type Graph names in its error for a template field it does not know. */
const TEMPLATE_NODE_TYPE = 'WhatsAppBusinessHSM';

/** List filters of the edge that take a comma-separated list (§A.1.1), with the template value they match. */
const LIST_FILTERS: Record<string, (template: SimTemplate) => string> = {
  status: (template) => template.status,
  category: (template) => template.category,
  language: (template) => template.language,
  quality_score: (template) => template.qualityScore,
};

/**
 * The WABA's `message_templates` edge (graph-api-2026.md §A.1.1): templates in creation order (newest
 * first, as WhatsApp Manager shows them), filtered by `status`, `category`, `language`, `quality_score`
 * (lists, any case), `name` (substring, UNCONFIRMED at Meta) and `name_or_content`, paged with cursors; also
 * expanded inside `fields=` (`message_templates.limit(n){…}`), which ignores the filters and cursors.
 */
export class WabaMessageTemplatesEdge {
  list(
    waba: SimWaba,
    req: GraphRequest,
    children: FieldSelection[] | null,
    limit: number | undefined,
    nested = false,
  ): JsonObject {
    let templates = Object.values(waba.templates).reverse();
    if (!nested) {
      templates = templates.filter((template) => this.matches(template, req.params));
    }
    const selection = children ?? selectionOf(TEMPLATE_LIST_DEFAULT);
    return paginate(
      templates,
      req,
      (template) => renderTemplate(template, selection),
      limit ?? (nested ? SIM_DEFAULT_PAGE_LIMIT : undefined),
      nested,
    );
  }

  private matches(template: SimTemplate, params: JsonObject): boolean {
    for (const [param, valueOf] of Object.entries(LIST_FILTERS)) {
      const raw = asString(params[param]);
      if (raw === undefined || raw === '') {
        continue;
      }
      // Meta's own example passes `status=approved` in lower case; lists are comma-separated.
      const wanted = raw
        .replace(/[[\]"']/g, '')
        .split(',')
        .map((value) => value.trim().toUpperCase());
      if (!wanted.includes(valueOf(template).toUpperCase())) {
        return false;
      }
    }
    const name = asString(params.name);
    if (name && !template.name.includes(name)) {
      return false;
    }
    const nameOrContent = asString(params.name_or_content);
    return !nameOrContent || template.name.includes(nameOrContent) || template.bodyText.includes(nameOrContent);
  }
}

/** One template with the selected fields; an unknown field is error 100, as for other nodes. */
export function renderTemplate(template: SimTemplate, selection: FieldSelection[]): JsonObject {
  const value = (field: FieldSelection): JsonValue | undefined => {
    switch (field.name) {
      case 'id':
        return template.id;
      case 'name':
        return template.name;
      case 'language':
        return template.language;
      case 'status':
        return template.status;
      case 'category':
        return template.category;
      case 'sub_category':
        return template.category === 'MARKETING' ? 'CUSTOM' : undefined;
      case 'previous_category':
        return template.previousCategory ?? undefined;
      case 'correct_category':
        return template.correctCategory ?? undefined;
      case 'rejected_reason':
        return template.rejectedReason;
      case 'quality_score':
        return { score: template.qualityScore, date: Math.floor(Date.now() / 1000) };
      case 'parameter_format':
        return 'POSITIONAL';
      case 'components':
        return [{ type: 'BODY', text: template.bodyText, example: { body_text: [['Pablo']] } }];
      case 'message_send_ttl_seconds':
        return undefined;
      // The max price (graph-api-2026 §A.4.2); `bid_spec`, its name until 2026-07-31, is an unknown field now.
      case 'optimization_spec':
        return template.optimizationSpec ? { ...template.optimizationSpec } : undefined;
      default:
        throw GraphApiError.nonexistingField(field.name, TEMPLATE_NODE_TYPE);
    }
  };
  return renderNode(selection, value, template.id, true);
}
