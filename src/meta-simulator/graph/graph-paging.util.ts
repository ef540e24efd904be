import { SIM_DEFAULT_PAGE_LIMIT, SIM_MAX_PAGE_LIMIT } from 'src/meta-simulator/meta-simulator.constants';
import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiError } from './graph-api.error';
import type { GraphRequest } from './graph-api.types';
import { asString } from './graph-params.util';

function encodeCursor(index: number): string {
  return Buffer.from(`sim-cursor:${index}`).toString('base64url');
}

function decodeCursor(cursor: string, name: string): number {
  const match = /^sim-cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    throw GraphApiError.invalidParameter(`(#100) The ${name} cursor is invalid or has expired`);
  }
  return Number(match[1]);
}

/**
 * Applies `limit`/`after`/`before` to an ordered list and builds Graph's `paging` (§1.7). A `nested` list
 * (an edge expanded inside `fields=`) takes its size from `limitOverride` (`.limit(n)`), ignores the
 * request's cursors and carries cursors but no `next`/`previous` links.
 */
export function paginate<T>(
  items: T[],
  req: GraphRequest,
  render: (item: T) => JsonObject,
  limitOverride: number | undefined,
  nested: boolean,
): JsonObject {
  const rawLimit = nested ? limitOverride : Number(asString(req.params.limit) ?? SIM_DEFAULT_PAGE_LIMIT);
  const limit = Math.min(
    SIM_MAX_PAGE_LIMIT,
    Math.max(1, Number.isFinite(rawLimit) ? Number(rawLimit) : SIM_DEFAULT_PAGE_LIMIT),
  );
  const after = nested ? undefined : asString(req.params.after);
  const before = nested ? undefined : asString(req.params.before);
  let start = 0;
  let end: number;
  if (after !== undefined) {
    start = decodeCursor(after, 'after') + 1;
    end = Math.min(items.length, start + limit);
  } else if (before !== undefined) {
    end = Math.min(items.length, decodeCursor(before, 'before'));
    start = Math.max(0, end - limit);
  } else {
    end = Math.min(items.length, limit);
  }
  const data = items.slice(start, end).map(render);
  if (data.length === 0) {
    return { data: [] };
  }
  const paging: JsonObject = { cursors: { before: encodeCursor(start), after: encodeCursor(end - 1) } };
  if (!nested) {
    const link = (cursorName: 'after' | 'before', cursor: string): string => {
      const query = new URLSearchParams(req.query);
      query.delete('after');
      query.delete('before');
      query.set('limit', String(limit));
      query.set(cursorName, cursor);
      return `${req.origin}/${req.version}${req.path}?${query.toString()}`;
    };
    if (start > 0) {
      paging.previous = link('before', encodeCursor(start));
    }
    if (end < items.length) {
      paging.next = link('after', encodeCursor(end - 1));
    }
  }
  return { data, paging };
}
