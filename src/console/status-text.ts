/** The Status column's words: why a WABA has its status, and Meta's alert types, as people read them. */

const REASONS: Record<string, string> = {
  BANNED: 'Meta disabled (banned) this account.',
  DISCONNECTED: 'The account was disconnected from this platform at Meta (removed, deleted or offboarded).',
  BLOCKED: "Meta's health check reports the account blocked from sending.",
  SCHEDULED_FOR_DISABLE: 'Meta has scheduled this account to be disabled.',
  RESTRICTED: 'Meta restricted what this account can send.',
};

/** Why a WABA has its status (`statusReason`), as a sentence. */
export function reasonSentence(reason: string): string {
  if (reason.startsWith('META_STATUS_')) {
    return `Meta reports the account status as ${reason.slice('META_STATUS_'.length)}.`;
  }
  return REASONS[reason] ?? `Meta reports ${reason}.`;
}

/** An alert type as people read it: `OBA_REJECTED` → "OBA rejected". */
export function alertLabel(type: string): string {
  const words = type.toLowerCase().split('_');
  const text = words.map((word) => (word === 'oba' ? 'OBA' : word)).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
