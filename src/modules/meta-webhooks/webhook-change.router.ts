/** One `entry[].changes[]` item with what routing needs, independent of the envelope's key order. */
export interface RoutedChange {
  /** `changes[].field` (`account_update`, `phone_number_quality_update`, …). */
  field: string;
  /** `value.event` when the field has one (account_update, phone_number_quality_update). */
  event: string | null;
  /** The WABA the change is about: `value.waba_info.waba_id`, else `entry.id` (§5.4, §6.3). */
  wabaId: string | null;
  /** `value.metadata.phone_number_id` of `messages` payloads (§6.8). */
  phoneNumberId: string | null;
  /** `entry.id` as sent (a WABA or, for partner events, the partner's business portfolio). */
  entryId: string | null;
  /** Meta's `entry.time` (unix seconds) as a Date; null when absent (messages). */
  time: Date | null;
  value: Record<string, unknown>;
}

/**
 * Splits a delivery into its changes and resolves who each is about, as graph-api-reference.md §6 says:
 * `value.waba_info.waba_id` first (partner-facing events carry the partner's portfolio in `entry.id`), then
 * `entry.id`; `messages` carry the number in `value.metadata.phone_number_id`. Tolerates anything: what it
 * cannot read becomes an empty list or null fields, never an exception.
 */
export function routeWebhookChanges(payload: unknown): RoutedChange[] {
  return routeEntries(payload).flatMap((entry) => entry.changes.map((item) => item.routed));
}

/** The changes of a delivery about one WABA (or about none), as a stored inbox row holds them. */
export interface DeliveryPart {
  /** The WABA ID, or the caller's fallback for changes that name no WABA (and for non-envelopes). */
  orderingKey: string;
  /** The part as JSON text: the delivery's own text when it is about a single key. */
  json: string;
}

/**
 * Splits a delivery by the WABA each change is about ({@link routeWebhookChanges}), so that each WABA's
 * changes can be processed in order, by one instance at a time, whichever deliveries carried them. A
 * delivery about one WABA (Meta's usual case) stays one part with its text untouched; a batch about
 * several becomes one envelope per WABA with that WABA's entries and changes, in their original order.
 */
export function splitDeliveryByWaba(payload: unknown, text: string, fallbackKey: string): DeliveryPart[] {
  const entries = routeEntries(payload);
  const keys = new Set(entries.flatMap((entry) => entry.changes.map((item) => item.routed.wabaId ?? fallbackKey)));
  if (keys.size <= 1) {
    return [{ orderingKey: [...keys][0] ?? fallbackKey, json: text }];
  }
  const envelope = asRecord(payload) ?? {};
  return [...keys].map((orderingKey) => ({
    orderingKey,
    json: JSON.stringify({
      ...envelope,
      entry: entries
        .map((entry) => ({
          ...entry.raw,
          changes: entry.changes
            .filter((item) => (item.routed.wabaId ?? fallbackKey) === orderingKey)
            .map((item) => item.raw),
        }))
        .filter((entry) => entry.changes.length > 0),
    }),
  }));
}

/** The readable entries of a delivery with their readable changes, each kept next to its raw JSON. */
function routeEntries(
  payload: unknown,
): Array<{ raw: Record<string, unknown>; changes: Array<{ raw: Record<string, unknown>; routed: RoutedChange }> }> {
  const entries = asRecord(payload)?.entry;
  if (!Array.isArray(entries)) {
    return [];
  }
  const routed: ReturnType<typeof routeEntries> = [];
  for (const rawEntry of entries) {
    const entry = asRecord(rawEntry);
    const changes = entry?.changes;
    if (!entry || !Array.isArray(changes)) {
      continue;
    }
    const entryId = asId(entry.id);
    const time = asTime(entry.time);
    const routedChanges: Array<{ raw: Record<string, unknown>; routed: RoutedChange }> = [];
    for (const rawChange of changes) {
      const change = asRecord(rawChange);
      const field = typeof change?.field === 'string' ? change.field : null;
      if (!change || !field) {
        continue;
      }
      const value = asRecord(change.value) ?? {};
      const wabaInfo = asRecord(value.waba_info);
      routedChanges.push({
        raw: change,
        routed: {
          field,
          event: typeof value.event === 'string' ? value.event : null,
          wabaId: asId(wabaInfo?.waba_id) ?? entryId,
          phoneNumberId: asId(asRecord(value.metadata)?.phone_number_id),
          entryId,
          time,
          value,
        },
      });
    }
    routed.push({ raw: entry, changes: routedChanges });
  }
  return routed;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function asId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) {
    return String(value);
  }
  return typeof value === 'string' && /^\d{1,32}$/.test(value) ? value : null;
}

function asTime(value: unknown): Date | null {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}
