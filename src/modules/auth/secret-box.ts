import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Encrypts what must be recovered later and so cannot be hashed (TOTP secrets): AES-256-GCM
 * under a key derived from the server secret (HKDF-SHA-256, one `purpose` per use), with the
 * owner's id as associated data, so a ciphertext copied onto another user's row does not open.
 * Changing JWT_SECRET makes every sealed value unreadable (users enrol again).
 */
export function secretBox (serverSecret: string, purpose: string) {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, 'relay-im secret box', purpose, 32))
  return {
    seal (plain: string, owner: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(owner))
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return ['v1', iv, cipher.getAuthTag(), body].map((p) => typeof p === 'string' ? p : p.toString('base64url')).join('.')
    },
    /** The plain value, or undefined when it was sealed for another owner, with another key or altered. */
    open (sealed: string, owner: string): string | undefined {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) return undefined
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
        decipher.setAAD(Buffer.from(owner))
        decipher.setAuthTag(Buffer.from(tag, 'base64url'))
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        return undefined
      }
    }
  }
}
export type SecretBox = ReturnType<typeof secretBox>
