import { isObject } from './graph-api.payloads';
import { type GraphApiTransport, graphId } from './graph-api.transport';
import type { GraphListResponse } from './graph-api.types';
import { mapGraphApiError } from './map-graph-api-error';
import { META_MAX_PAGES, META_MULTI_ID_CHUNK_SIZE } from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import type { MultiReadResult } from './meta-gateway.types';

/** The first page of a list edge: a retried read about one business object. */
export interface FirstPage {
  url: string;
  params: Record<string, string>;
  token: string;
  businessObjectId: string;
}

/**
 * Reads a list edge page by page, following `paging.next` until it is absent (or `paging` is missing)
 * (§1.7), and hands each entry to `onEntry` before the next page is asked for. A repeated `next` or more
 * than {@link META_MAX_PAGES} pages fails with UNKNOWN instead of looping; a page whose `data` is not a
 * list is unreadable (`operation` names it); a failure on any page fails the whole list. Returns the
 * number of pages read.
 */
export async function readAllPages<E>(
  transport: GraphApiTransport,
  first: FirstPage,
  operation: string,
  onEntry: (raw: E) => void,
): Promise<number> {
  let url: string | undefined = first.url;
  let params: Record<string, string> | undefined = first.params;
  const seen = new Set<string>();
  let page = 0;
  for (; url !== undefined; page += 1) {
    if (page >= META_MAX_PAGES || seen.has(url)) {
      // A cursor that loops would otherwise spin forever against our rate limit.
      throw new MetaGatewayException(MetaGatewayErrorCode.UNKNOWN, 'Graph API paging did not terminate', {
        httpStatus: null,
      });
    }
    seen.add(url);
    const body: GraphListResponse<E> = await transport.call<GraphListResponse<E>>({
      method: 'GET',
      url,
      params,
      token: first.token,
      retry: true,
      businessObjectId: first.businessObjectId,
    });
    if (body.data !== undefined && !Array.isArray(body.data)) {
      throw transport.unreadable(operation);
    }
    for (const raw of body.data ?? []) {
      onEntry(raw);
    }
    const next: unknown = isObject(body.paging) ? body.paging.next : undefined;
    url = typeof next === 'string' && next !== '' ? next : undefined;
    // `next` already carries fields, limit and the cursor.
    params = undefined;
  }
  return page;
}

/**
 * `GET /?ids=<≤50 ids>&fields=…` per chunk of {@link META_MULTI_ID_CHUNK_SIZE} deduplicated IDs (§1.9),
 * one chunk after the other. A failed chunk puts its IDs in `failed` with the mapped exception and the
 * others still count; an ID missing from an answer, or whose object `toSnapshot` cannot read, is failed
 * too. `calls` counts HTTP requests, retries included. Throws only for a bad ID (INVALID_REQUEST).
 */
export async function readByIds<T>(
  transport: GraphApiTransport,
  ids: string[],
  token: string,
  fields: string,
  toSnapshot: (raw: unknown, id: string) => T,
): Promise<MultiReadResult<T>> {
  const unique = [...new Set(ids.map((id) => graphId(id)))];
  const result: MultiReadResult<T> = { found: new Map(), failed: new Map(), calls: 0 };
  for (let start = 0; start < unique.length; start += META_MULTI_ID_CHUNK_SIZE) {
    const chunk = unique.slice(start, start + META_MULTI_ID_CHUNK_SIZE);
    try {
      const body = await transport.call<Record<string, unknown>>({
        method: 'GET',
        url: '/',
        params: { ids: chunk.join(','), fields },
        token,
        retry: true,
        onRequest: () => {
          result.calls += 1;
        },
      });
      for (const id of chunk) {
        if (!(id in body)) {
          result.failed.set(
            id,
            new MetaGatewayException(MetaGatewayErrorCode.NOT_FOUND, `Graph API returned no object for ${id}`, {
              httpStatus: 200,
            }),
          );
          continue;
        }
        try {
          result.found.set(id, toSnapshot(body[id], id));
        } catch (error) {
          result.failed.set(id, mapGraphApiError(error));
        }
      }
    } catch (error) {
      const exception = mapGraphApiError(error);
      for (const id of chunk) {
        result.failed.set(id, exception);
      }
    }
  }
  return result;
}
