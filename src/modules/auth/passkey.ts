import { createHash, createHmac, randomUUID } from 'node:crypto'
import type {
  AuthenticationResponseJSON, AuthenticatorTransportFuture, PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON
} from '@simplewebauthn/server'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { isUniqueViolation } from '../../db/constraint-errors.js'
import { conflict, Errors } from '../../lib/errors.js'
import { normaliseLabel } from '../../lib/text-policy.js'
import { USERNAME_RE } from '../users/index.js'
import { normalizeUsername } from './service.js'

/**
 * The WebAuthn library, loaded at the first passkey ceremony: importing it costs about 0.15 s
 * of CPU, paid at every start (and in every test process) though few deployments use passkeys.
 */
let webauthnLib: Promise<typeof import('@simplewebauthn/server')> | undefined
const webauthn = async (): Promise<typeof import('@simplewebauthn/server')> => await (webauthnLib ??= import('@simplewebauthn/server'))

/** Where passkeys are valid: the relying party id (a domain) and the page origins allowed to use it. */
export interface RelyingParty { id: string, origins: string[] }

export interface PasskeyOptions {
  /** The server secret (JWT_SECRET): the stand-in credential ids of unknown usernames are keyed with it. */
  secret: string
  /** Shown by the browser and the authenticator (WEBAUTHN_RP_NAME). */
  rpName: string
  /** A challenge is good for this long, once. */
  challengeTtlS: number
  /** Passkeys one user may have; more is CONFLICT. */
  maxPerUser: number
}

/** A registered passkey as its owner sees it (never the public key or the counter). */
export interface PasskeyInfo {
  id: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  /** `multiDevice`: a synced passkey (backed up by its provider); `singleDevice`: bound to one authenticator. */
  deviceType: string
  backedUp: boolean
}

type Purpose = 'registration' | 'authentication'

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')
const B64URL_RE = /^[A-Za-z0-9_-]{16,128}$/
const { passkeyChallengeInvalid: badChallenge, passkeyNotRecognised: badPasskey, passkeyNotVerified: notVerified, passkeyNotFound } = Errors

const infoSelect = { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true, backedUp: true } as const
const toInfo = (p: { id: string, name: string, createdAt: Date, lastUsedAt: Date | null, deviceType: string, backedUp: boolean }): PasskeyInfo =>
  ({ id: p.id, name: p.name, createdAt: p.createdAt.toISOString(), lastUsedAt: p.lastUsedAt?.toISOString() ?? null, deviceType: p.deviceType, backedUp: p.backedUp })

/** The challenge the browser signed, read from the response's clientDataJSON (undefined when it is not there). */
function challengeOf (clientDataJSON: string): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }
    return typeof data.challenge === 'string' && B64URL_RE.test(data.challenge) ? data.challenge : undefined
  } catch {
    return undefined
  }
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration by a signed-in user and sign-in
 * with or without a username. Challenges live server-side as SHA-256, bound to their purpose
 * and user, deleted by their one use, expiring after challengeTtlS. Only public keys are
 * stored. The signature counter is checked by the library (a lower one than stored means a
 * cloned authenticator) and advanced conditionally, so two concurrent uses of one signature
 * cannot both pass.
 */
export function createPasskeyService (prisma: PrismaClient, opts: PasskeyOptions) {
  const standInKey = createHmac('sha256', opts.secret).update('relay-im passkey stand-in credential').digest()
  /** A credential id for a username with no passkeys (or no account): the same each time, so the answer does not tell them apart. */
  const standInId = (username: string): string => createHmac('sha256', standInKey).update(username).digest('base64url')

  const newChallenge = async (purpose: Purpose, challenge: string, userId: string | null): Promise<void> => {
    const now = new Date()
    await prisma.$transaction([
      prisma.passkeyChallenge.deleteMany({ where: { expiresAt: { lt: now } } }),
      prisma.passkeyChallenge.create({ data: { id: randomUUID(), challengeHash: sha256(challenge), purpose, userId, expiresAt: new Date(now.getTime() + opts.challengeTtlS * 1000) } })
    ])
  }

  /** Spends the challenge a response signed: of two concurrent uses only one gets its row. Returns the user it was bound to. */
  const takeChallenge = async (purpose: Purpose, clientDataJSON: string): Promise<{ challenge: string, userId: string | null }> => {
    const challenge = challengeOf(clientDataJSON)
    if (challenge === undefined) throw badChallenge()
    const row = await prisma.passkeyChallenge.findUnique({ where: { challengeHash: sha256(challenge) } })
    if (row === null || row.purpose !== purpose) throw badChallenge()
    const { count } = await prisma.passkeyChallenge.deleteMany({ where: { id: row.id, expiresAt: { gt: new Date() } } })
    if (count !== 1) throw badChallenge()
    return { challenge, userId: row.userId }
  }

  return {
    /** Options for `navigator.credentials.create()`: a discoverable credential, user verification preferred, the user's passkeys excluded. */
    async registrationOptions (userId: string, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { username: true, displayName: true, passkeys: { select: { credentialId: true, transports: true } } } })
      if (user === null) throw Errors.invalidToken()
      if (user.passkeys.length >= opts.maxPerUser) throw conflict(`At most ${opts.maxPerUser} passkeys per account`)
      const options = await (await webauthn()).generateRegistrationOptions({
        rpName: opts.rpName,
        rpID: rp.id,
        userName: user.username,
        userDisplayName: user.displayName,
        // The user handle the authenticator keeps: the account's id, nothing personal.
        userID: new TextEncoder().encode(userId),
        timeout: opts.challengeTtlS * 1000,
        attestationType: 'none',
        excludeCredentials: user.passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' }
      })
      await newChallenge('registration', options.challenge, userId)
      return options
    },

    /** Checks the authenticator's answer to a registration challenge of this user and stores the passkey. */
    async register (userId: string, rp: RelyingParty, response: RegistrationResponseJSON, name: string | undefined): Promise<PasskeyInfo> {
      const taken = await takeChallenge('registration', response.response.clientDataJSON)
      if (taken.userId !== userId) throw badChallenge()
      const lib = await webauthn()
      let verified
      try {
        verified = await lib.verifyRegistrationResponse({ response, expectedChallenge: taken.challenge, expectedOrigin: rp.origins, expectedRPID: rp.id, requireUserVerification: false })
      } catch {
        throw notVerified()
      }
      if (!verified.verified) throw notVerified()
      const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo
      if (await prisma.passkey.count({ where: { userId } }) >= opts.maxPerUser) throw conflict(`At most ${opts.maxPerUser} passkeys per account`)
      try {
        const row = await prisma.passkey.create({
          data: {
            id: randomUUID(),
            userId,
            credentialId: credential.id,
            publicKey: Buffer.from(credential.publicKey).toString('base64url'),
            counter: credential.counter,
            transports: credential.transports ?? response.response.transports?.slice(0, 8) ?? [],
            deviceType: credentialDeviceType,
            backedUp: credentialBackedUp,
            name: normaliseLabel(name ?? '') === '' ? 'Passkey' : normaliseLabel(name ?? '')
          },
          select: infoSelect
        })
        return toInfo(row)
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('This passkey is already registered')
        throw err
      }
    },

    async list (userId: string): Promise<PasskeyInfo[]> {
      const rows = await prisma.passkey.findMany({ where: { userId }, select: infoSelect, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
      return rows.map(toInfo)
    },

    /** Another user's passkey is NOT_FOUND, as one that does not exist. */
    async rename (userId: string, id: string, name: string): Promise<PasskeyInfo> {
      const { count } = await prisma.passkey.updateMany({ where: { id, userId }, data: { name: normaliseLabel(name) } })
      if (count !== 1) throw passkeyNotFound()
      const row = await prisma.passkey.findUnique({ where: { id }, select: infoSelect })
      if (row === null) throw passkeyNotFound()
      return toInfo(row)
    },

    async remove (userId: string, id: string): Promise<void> {
      const { count } = await prisma.passkey.deleteMany({ where: { id, userId } })
      if (count !== 1) throw passkeyNotFound()
    },

    /**
     * Options for `navigator.credentials.get()`. Without a username: any discoverable passkey of
     * this site (usernameless). With one: that account's passkeys; an unknown username or one
     * without passkeys gets a stand-in credential id derived from it, so the answer does not
     * tell whether the account exists.
     */
    async authenticationOptions (rp: RelyingParty, username: string | undefined): Promise<PublicKeyCredentialRequestOptionsJSON> {
      let userId: string | null = null
      let allowCredentials: Array<{ id: string, transports?: AuthenticatorTransportFuture[] }> | undefined
      if (username !== undefined) {
        const name = normalizeUsername(username)
        const user = USERNAME_RE.test(name)
          ? await prisma.user.findUnique({ where: { username: name }, select: { id: true, passkeys: { select: { credentialId: true, transports: true } } } })
          : null
        userId = user?.id ?? null
        allowCredentials = user !== null && user.passkeys.length > 0
          ? user.passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] }))
          : [{ id: standInId(name), transports: ['internal', 'hybrid'] }]
      }
      const options = await (await webauthn()).generateAuthenticationOptions({ rpID: rp.id, timeout: opts.challengeTtlS * 1000, userVerification: 'preferred', allowCredentials })
      await newChallenge('authentication', options.challenge, userId)
      return options
    },

    /**
     * The account a sign-in response proves, and whether the authenticator verified the user
     * (PIN, biometrics): the caller counts that as a second factor. The challenge is spent
     * whatever the outcome.
     */
    async authenticate (rp: RelyingParty, response: AuthenticationResponseJSON): Promise<{ userId: string, userVerified: boolean }> {
      const taken = await takeChallenge('authentication', response.response.clientDataJSON)
      const passkey = await prisma.passkey.findUnique({ where: { credentialId: response.id } })
      if (passkey === null) throw badPasskey()
      // A challenge asked for one account is answered by that account's passkeys only; the user
      // handle the authenticator keeps (the account id, set at registration) must name the owner.
      if (taken.userId !== null && taken.userId !== passkey.userId) throw badPasskey()
      const handle = response.response.userHandle
      if (handle !== undefined && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.userId) throw badPasskey()
      const lib = await webauthn()
      let verified
      try {
        verified = await lib.verifyAuthenticationResponse({
          response,
          expectedChallenge: taken.challenge,
          expectedOrigin: rp.origins,
          expectedRPID: rp.id,
          requireUserVerification: false,
          credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: Number(passkey.counter), transports: passkey.transports as AuthenticatorTransportFuture[] }
        })
      } catch {
        // The library throws for a bad signature, origin, rp id, type, flags and a counter that did not move forward (a cloned authenticator).
        throw notVerified()
      }
      if (!verified.verified) throw notVerified()
      const { newCounter, userVerified, credentialBackedUp } = verified.authenticationInfo
      // Conditional on the counter just checked: a concurrent use of the same counter loses.
      const { count } = await prisma.passkey.updateMany({
        where: { id: passkey.id, counter: passkey.counter },
        data: { counter: newCounter, lastUsedAt: new Date(), backedUp: credentialBackedUp }
      })
      if (count !== 1) throw notVerified()
      return { userId: passkey.userId, userVerified }
    }
  }
}

export type PasskeyService = ReturnType<typeof createPasskeyService>
