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
  const entries = asRecord(payload)?.entry;
  if (!Array.isArray(entries)) {
    return [];
  }
  const routed: RoutedChange[] = [];
  for (const rawEntry of entries) {
    const entry = asRecord(rawEntry);
    const changes = entry?.changes;
    if (!entry || !Array.isArray(changes)) {
      continue;
    }
    const entryId = asId(entry.id);
    const time = asTime(entry.time);
    for (const rawChange of changes) {
      const change = asRecord(rawChange);
      const field = typeof change?.field === 'string' ? change.field : null;
      if (!change || !field) {
        continue;
      }
      const value = asRecord(change.value) ?? {};
      const wabaInfo = asRecord(value.waba_info);
      routed.push({
        field,
        event: typeof value.event === 'string' ? value.event : null,
        wabaId: asId(wabaInfo?.waba_id) ?? entryId,
        phoneNumberId: asId(asRecord(value.metadata)?.phone_number_id),
        entryId,
        time,
        value,
      });
    }
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
