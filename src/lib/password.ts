import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const R = 8
const P = 1
const SALT_BYTES = 16
const KEY_BYTES = 32

function derive (password: string, salt: Buffer, keyLength: number, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN
  // Node's default maxmem (32 MiB) is exactly 128*N*r at N=2^15, r=8, which OpenSSL refuses.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => {
      if (err !== null) reject(err)
      else resolve(key)
    })
  })
}

/** `scrypt$<logN>$<r>$<p>$<salt b64>$<hash b64>`: the parameters travel with the hash, so the cost can change later. */
export async function hashPassword (password: string, logN: number): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, KEY_BYTES, logN, R, P)
  return ['scrypt', logN, R, P, salt.toString('base64'), key.toString('base64')].join('$')
}

interface Parsed { logN: number, r: number, p: number, salt: Buffer, key: Buffer }

function parse (stored: string): Parsed | undefined {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined
  const [logN, r, p] = parts.slice(1, 4).map(Number)
  const salt = Buffer.from(parts[4] ?? '', 'base64')
  const key = Buffer.from(parts[5] ?? '', 'base64')
  const int = (n: number | undefined, min: number, max: number): n is number => n !== undefined && Number.isInteger(n) && n >= min && n <= max
  if (!int(logN, 1, 24) || !int(r, 1, 64) || !int(p, 1, 16) || salt.length === 0 || key.length < 16 || key.length > 64) return undefined
  return { logN, r, p, salt, key }
}

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored)
  if (parsed === undefined) return false
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.logN, parsed.r, parsed.p)
  return timingSafeEqual(key, parsed.key)
}
