import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

/**
 * A software WebAuthn authenticator for server tests: makes the JSON a browser would send
 * (`none` attestation, ES256) so the routes run the real @simplewebauthn/server checks. The
 * page's own tests use Chromium's virtual authenticator instead (test/web/passkeys.e2e.test.ts).
 */

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url')
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest()

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys: maps, ints, byte and text strings. */
type Cbor = number | string | Uint8Array | Map<number | string, Cbor> | Record<string, never>
function head (major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n])
  if (n < 256) return Buffer.from([(major << 5) | 24, n])
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255])
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(n, 1)
  return b
}
export function cbor (v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v)
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)])
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v])
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v)
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])])
}

export interface SoftCredential { id: Buffer, privateKey: KeyObject, publicKey: KeyObject, counter: number, userHandle: string }

interface CreationOptions { challenge: string, rp: { id?: string }, user: { id: string } }
interface RequestOptions { challenge: string, rpId?: string }

export interface Tweaks {
  origin?: string
  rpId?: string
  /** User verified (PIN, biometrics): the UV flag. */
  uv?: boolean
  type?: string
  challenge?: string
  /** The signature counter to report (default: one more than the last). */
  counter?: number
  /** Registration: this credential id instead of a new random one. */
  id?: Buffer
}

function clientData (type: string, challenge: string, origin: string): string {
  return JSON.stringify({ type, challenge, origin, crossOrigin: false })
}

/** navigator.credentials.create(): a new ES256 credential and the registration JSON. */
export function createCredential (options: CreationOptions, origin: string, tweaks: Tweaks = {}): { credential: SoftCredential, response: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const cose = cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x as string, 'base64url')], [-3, Buffer.from(jwk.y as string, 'base64url')]]))
  const id = tweaks.id ?? randomBytes(32)
  const idLen = Buffer.alloc(2)
  idLen.writeUInt16BE(id.length)
  const flags = 0x01 | 0x40 | ((tweaks.uv ?? true) ? 0x04 : 0)
  const counter = Buffer.alloc(4)
  counter.writeUInt32BE(tweaks.counter ?? 0)
  const authData = Buffer.concat([sha256(tweaks.rpId ?? options.rp.id ?? ''), Buffer.from([flags]), counter, Buffer.alloc(16), idLen, id, cose])
  const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
  const data = clientData(tweaks.type ?? 'webauthn.create', tweaks.challenge ?? options.challenge, tweaks.origin ?? origin)
  return {
    credential: { id, privateKey, publicKey, counter: tweaks.counter ?? 0, userHandle: options.user.id },
    response: {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: { clientDataJSON: b64url(data), attestationObject: b64url(attestationObject), transports: ['internal'] },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {}
    }
  }
}

/** navigator.credentials.get(): an assertion by the credential (its counter moves on by one unless told). */
export function assert (credential: SoftCredential, options: RequestOptions, origin: string, tweaks: Tweaks = {}): Record<string, unknown> {
  credential.counter = tweaks.counter ?? credential.counter + 1
  const counter = Buffer.alloc(4)
  counter.writeUInt32BE(credential.counter)
  const flags = 0x01 | ((tweaks.uv ?? true) ? 0x04 : 0)
  const authData = Buffer.concat([sha256(tweaks.rpId ?? options.rpId ?? ''), Buffer.from([flags]), counter])
  const data = clientData(tweaks.type ?? 'webauthn.get', tweaks.challenge ?? options.challenge, tweaks.origin ?? origin)
  const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey)
  return {
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: 'public-key',
    response: { clientDataJSON: b64url(data), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: credential.userHandle },
    authenticatorAttachment: 'platform',
    clientExtensionResults: {}
  }
}
