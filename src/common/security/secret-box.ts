import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const VERSION = 'v1';

/**
 * AES-256-GCM encryption of secrets at rest (Meta tokens, registration PINs). The stored form is
 * `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts); the key ID is a fingerprint of the key, so a
 * rotated key can be told apart from the current one and old values still decrypt with a retired key.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentKeyId: string;

  /** @param currentKey base64 of 32 bytes; @param retiredKeys older keys still accepted for decryption */
  constructor(currentKey: string, retiredKeys: string[] = []) {
    this.currentKeyId = this.addKey(currentKey);
    for (const key of retiredKeys) {
      this.addKey(key);
    }
  }

  /** Encrypts with the current key and a fresh IV. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.currentKeyId) as Buffer, iv);
    cipher.setAAD(Buffer.from(this.currentKeyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.currentKeyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join(':');
  }

  /** Decrypts a value from {@link seal}; throws without revealing anything when it was tampered with. */
  open(sealed: string): string {
    const [version, keyId, iv, tag, ciphertext] = sealed.split(':');
    const key = keyId ? this.keys.get(keyId) : undefined;
    if (version !== VERSION || !key || !iv || !tag || ciphertext === undefined) {
      throw new Error('Sealed secret has an unknown format or key');
    }
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Key ID a sealed value was made with (to find values still on a retired key). */
  static keyIdOf(sealed: string): string | null {
    return sealed.split(':')[1] ?? null;
  }

  private addKey(base64Key: string): string {
    const key = Buffer.from(base64Key, 'base64');
    if (key.length !== 32) {
      throw new Error('Encryption keys must be 32 bytes');
    }
    const keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
    this.keys.set(keyId, key);
    return keyId;
  }
}
