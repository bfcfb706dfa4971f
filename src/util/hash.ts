import { createHash } from 'crypto';

/** Short content hash (first 16 hex digits of SHA-256) for manifests, config identity and file names. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
