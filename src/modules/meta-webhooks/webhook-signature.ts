const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/**
 * The 32 digest bytes of `X-Hub-Signature-256: sha256=<64 hex>` (§6.2), or null for anything else
 * (missing, repeated, another algorithm, another length). Cheap enough to run before the body is read.
 */
export function parseMetaSignatureHeader(header: string | string[] | undefined): Buffer | null {
  if (typeof header !== 'string') {
    return null;
  }
  const match = SIGNATURE_PATTERN.exec(header.trim());
  return match?.[1] ? Buffer.from(match[1], 'hex') : null;
}
