/**
 * The session info Meta's Embedded Signup v4 popup posts to the page (`message` events, graph-api-2026 §A.7):
 * `{type: "WA_EMBEDDED_SIGNUP", event, data}`, as an object or a JSON string. Pure, so that the console's
 * flow only decides what to do with the outcome.
 */

/** What one session-info message said. */
export type SessionInfo =
  | {
      kind: 'finished';
      /** FINISH, FINISH_ONLY_WABA, FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING, FINISH_OBO_MIGRATION, … */
      event: string;
      wabaId: string;
      /** Absent when only the WABA was shared (FINISH_ONLY_WABA): there is no number to connect. */
      phoneNumberId: string | null;
      businessId: string | null;
    }
  | {
      kind: 'cancelled';
      /** A sentence for the user: the error Meta showed, or where the flow was abandoned. */
      message: string;
    };

/** Reads one `message` event's data; null when it is not Embedded Signup session info. */
export function readSessionInfo(raw: unknown, sessionInfoType = 'WA_EMBEDDED_SIGNUP'): SessionInfo | null {
  let message: unknown = raw;
  if (typeof raw === 'string') {
    try {
      message = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!isRecord(message) || message.type !== sessionInfoType || typeof message.event !== 'string') {
    return null;
  }
  const data = isRecord(message.data) ? message.data : {};
  const event = message.event;
  if (event.startsWith('FINISH')) {
    const wabaId = text(data.waba_id) ?? firstOf(data.waba_ids);
    if (!wabaId) {
      return { kind: 'cancelled', message: `Meta finished Embedded Signup (${event}) without saying which WABA.` };
    }
    return {
      kind: 'finished',
      event,
      wabaId,
      phoneNumberId: text(data.phone_number_id),
      businessId: text(data.business_id),
    };
  }
  if (event === 'CANCEL' || event === 'ERROR') {
    const error = text(data.error_message);
    // The 2026 page names the code `error_code`; older pages said `error_id`: accept both.
    const code = text(data.error_code) ?? text(data.error_id);
    if (error) {
      return { kind: 'cancelled', message: code ? `${error} (Meta error ${code})` : error };
    }
    const step = text(data.current_step);
    return {
      kind: 'cancelled',
      message: `Embedded Signup was closed before it finished${step ? ` (at ${step})` : ''}.`,
    };
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Meta sends IDs as strings; a number is read as its digits. */
function text(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') {
    return value;
  }
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
}

function firstOf(value: unknown): string | null {
  return Array.isArray(value) ? text(value[0]) : null;
}
