import { readAllPages, readByIds } from './graph-api.paging';
import { isObject } from './graph-api.payloads';
import { type GraphApiTransport, graphId } from './graph-api.transport';
import type { GraphListResponse, GraphMessageTemplate } from './graph-api.types';
import { mapGraphApiError } from './map-graph-api-error';
import { META_LIST_PAGE_SIZE, META_TEMPLATE_FIELDS, META_TEMPLATES_PER_NESTED_READ } from './meta-gateway.constants';
import type { TemplateSnapshot, TemplatesReadResult } from './meta-gateway.types';

/**
 * A template of a `message_templates` list (2026 §A.1.1); null when it is not an object or lacks its id or
 * name (a template without them cannot be keyed, so the list is unreadable). A missing language is null:
 * Meta's own filtered example leaves it out.
 */
export function toTemplateSnapshot(raw: unknown): TemplateSnapshot | null {
  if (!isObject(raw)) {
    return null;
  }
  const template = raw as GraphMessageTemplate;
  const id = typeof template.id === 'number' ? null : text(template.id);
  const name = text(template.name);
  const language = text(template.language);
  if (!id || !/^\d{1,32}$/.test(id) || !name) {
    // A numeric id would already have lost its digits beyond 2^53: Graph sends ids as strings.
    return null;
  }
  const quality = isObject(template.quality_score) ? text(template.quality_score.score) : null;
  return {
    id,
    name,
    language,
    status: text(template.status),
    category: text(template.category),
    previousCategory: text(template.previous_category),
    correctCategory: text(template.correct_category),
    rejectedReason: text(template.rejected_reason),
    quality,
  };
}

/**
 * `GET /{waba-id}/message_templates?fields=<META_TEMPLATE_FIELDS>&limit=100`, then every `paging.next`
 * to the end. A template listed twice (pages that overlap) counts once, as first listed. Returns the pages
 * read too.
 */
export async function listTemplates(
  transport: GraphApiTransport,
  wabaId: string,
  token: string,
): Promise<{ templates: TemplateSnapshot[]; pages: number }> {
  const templates = new Map<string, TemplateSnapshot>();
  const operation = `GET /${wabaId}/message_templates`;
  const pages = await readAllPages<GraphMessageTemplate>(
    transport,
    {
      url: `/${graphId(wabaId)}/message_templates`,
      params: { fields: META_TEMPLATE_FIELDS, limit: String(META_LIST_PAGE_SIZE) },
      token,
      businessObjectId: wabaId,
    },
    operation,
    (raw) => {
      const snapshot = transport.readable(toTemplateSnapshot(raw), operation);
      if (!templates.has(snapshot.id)) {
        templates.set(snapshot.id, snapshot);
      }
    },
  );
  return { templates: [...templates.values()], pages };
}

/**
 * The templates of several WABAs with multi-ID reads: `GET /?ids=<≤50>&fields=message_templates.limit(100)
 * {<template fields>}` (REF §1.8, §1.9), one call per 50 WABAs. A WABA whose expanded edge is full (or says
 * there is more) is read again alone to the end ({@link listTemplates}); a WABA whose chunk or follow-up
 * failed is in `failed`.
 */
export async function readTemplatesOfWabas(
  transport: GraphApiTransport,
  wabaIds: string[],
  token: string,
): Promise<TemplatesReadResult> {
  const fields = `message_templates.limit(${META_TEMPLATES_PER_NESTED_READ}){${META_TEMPLATE_FIELDS}}`;
  const nested = await readByIds(transport, wabaIds, token, fields, (raw, id) =>
    transport.readable(toNestedTemplates(raw), `GET /?ids (templates of ${id})`),
  );
  const result: TemplatesReadResult = { found: new Map(), failed: new Map(nested.failed), calls: nested.calls };
  for (const [wabaId, read] of nested.found) {
    if (!read.more) {
      result.found.set(wabaId, read.templates);
      continue;
    }
    try {
      const all = await listTemplates(transport, wabaId, token);
      result.calls += all.pages;
      result.found.set(wabaId, all.templates);
    } catch (error) {
      result.failed.set(wabaId, mapGraphApiError(error));
    }
  }
  return result;
}

/** A WABA's expanded `message_templates` edge: its templates, and whether Meta holds more than it listed. */
function toNestedTemplates(raw: unknown): { templates: TemplateSnapshot[]; more: boolean } | null {
  if (!isObject(raw)) {
    return null;
  }
  const edge = (raw as { message_templates?: GraphListResponse<unknown> }).message_templates;
  if (edge === undefined) {
    // Graph leaves an empty edge out of the answer.
    return { templates: [], more: false };
  }
  if (!isObject(edge) || (edge.data !== undefined && !Array.isArray(edge.data))) {
    return null;
  }
  const templates: TemplateSnapshot[] = [];
  for (const entry of edge.data ?? []) {
    const snapshot = toTemplateSnapshot(entry);
    if (!snapshot) {
      return null;
    }
    templates.push(snapshot);
  }
  const next = isObject(edge.paging) ? edge.paging.next : undefined;
  return {
    templates,
    more: (typeof next === 'string' && next !== '') || templates.length >= META_TEMPLATES_PER_NESTED_READ,
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
