import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto'
import { generateSecret, generateURI, verify } from 'otplib'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { Errors, conflict, forbidden, rateLimited, unauthorized } from '../../lib/errors.js'
import { secretBox } from './secret-box.js'

export interface TotpOptions {
  /** The server secret (JWT_SECRET): TOTP secrets are encrypted and recovery codes keyed with keys derived from it. */
  secret: string
  /** Shown by authenticator apps beside the account name. */
  issuer: string
  /** Consecutive wrong codes after which the factor is locked. */
  maxFailures: number
  lockMs: number
  challengeTtlS: number
  /** Wrong codes one challenge takes before it is spent. */
  challengeMaxAttempts: number
}

export const RECOVERY_CODE_COUNT = 10
const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789' // no 0/O, 1/I
/** Codes from the step before and after the current one are accepted (clock drift). */
const TOLERANCE_S = 30
const TOTP_CODE_RE = /^\d{6}$/

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')
const normaliseRecovery = (code: string): string => code.toUpperCase().replace(/[\s-]/g, '')
const newRecoveryCode = (): string => {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)])
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`
}

/** The wrong-code answers: the same sentence whether the code was a TOTP code or a recovery code. */
const badCode = (signingIn: boolean) => signingIn ? unauthorized('Invalid two-factor code') : forbidden('Invalid two-factor code')
const badChallenge = () => unauthorized('Invalid, expired or used sign-in challenge')

/**
 * TOTP two-factor: enrolment (secret, then a code confirms it and yields ten recovery codes),
 * the check of a code (no replay: only a time step after the last accepted one; consecutive
 * failures lock the factor for a while) and the sign-in challenge the password step hands out.
 */
export function createTotpService (prisma: PrismaClient, opts: TotpOptions) {
  const box = secretBox(opts.secret, 'totp secret')
  const recoveryKey = createHmac('sha256', opts.secret).update('relay-im totp recovery codes').digest()
  const recoveryHash = (userId: string, code: string): string =>
    createHmac('sha256', recoveryKey).update(`${userId}:${normaliseRecovery(code)}`).digest('hex')

  const loadFactor = async (userId: string) => await prisma.totpFactor.findUnique({ where: { userId } })
  type Factor = NonNullable<Awaited<ReturnType<typeof loadFactor>>>

  /** The step a current code of this factor matches (after its last used one), or undefined. */
  const matchingStep = async (factor: Factor, code: string): Promise<number | undefined> => {
    const secret = box.open(factor.secretEnc, factor.userId)
    if (secret === undefined || !TOTP_CODE_RE.test(code)) return undefined
    const result = await verify({ secret, token: code, epochTolerance: TOLERANCE_S, afterTimeStep: Number(factor.lastStep) })
    return result.valid && 'timeStep' in result ? result.timeStep : undefined
  }

  /** Spends the step: of two concurrent uses of one code only one moves last_step. */
  const takeStep = async (userId: string, step: number): Promise<boolean> => {
    const { count } = await prisma.totpFactor.updateMany({ where: { userId, lastStep: { lt: step } }, data: { lastStep: step, failures: 0, lockedUntil: null } })
    return count === 1
  }

  const refuseWhileLocked = (factor: Factor): void => {
    const wait = (factor.lockedUntil?.getTime() ?? 0) - Date.now()
    if (wait > 0) throw rateLimited('Too many wrong two-factor codes, try again later', wait)
  }

  const recordFailure = async (userId: string): Promise<void> => {
    const { failures } = await prisma.totpFactor.update({ where: { userId }, data: { failures: { increment: 1 } }, select: { failures: true } })
    if (failures >= opts.maxFailures) {
      await prisma.totpFactor.update({ where: { userId }, data: { failures: 0, lockedUntil: new Date(Date.now() + opts.lockMs) } })
    }
  }

  /**
   * Checks a current TOTP code, or (when allowed) a recovery code, of a confirmed factor and
   * spends it. Wrong codes count towards the lock, which refuses even right codes until it ends.
   */
  const useCode = async (userId: string, code: string, signingIn: boolean): Promise<void> => {
    const factor = await loadFactor(userId)
    if (factor?.confirmedAt == null) throw badCode(signingIn)
    refuseWhileLocked(factor)
    const step = await matchingStep(factor, code)
    if (step !== undefined ? await takeStep(userId, step) : await useRecoveryCode(userId, code)) return
    await recordFailure(userId)
    throw badCode(signingIn)
  }

  const useRecoveryCode = async (userId: string, code: string): Promise<boolean> => {
    if (TOTP_CODE_RE.test(code)) return false
    const { count } = await prisma.totpRecoveryCode.updateMany({ where: { userId, codeHash: recoveryHash(userId, code), usedAt: null }, data: { usedAt: new Date() } })
    if (count === 1) await prisma.totpFactor.update({ where: { userId }, data: { failures: 0 } })
    return count === 1
  }

  return {
    async enabled (userId: string): Promise<boolean> {
      const factor = await prisma.totpFactor.findUnique({ where: { userId }, select: { confirmedAt: true } })
      return factor?.confirmedAt != null
    },

    async status (userId: string): Promise<{ enabled: boolean, recoveryCodesLeft: number }> {
      const [factor, recoveryCodesLeft] = await Promise.all([
        prisma.totpFactor.findUnique({ where: { userId }, select: { confirmedAt: true } }),
        prisma.totpRecoveryCode.count({ where: { userId, usedAt: null } })
      ])
      const enabled = factor?.confirmedAt != null
      return { enabled, recoveryCodesLeft: enabled ? recoveryCodesLeft : 0 }
    },

    /** A new secret (replacing an unconfirmed one); CONFLICT once two-factor is on. */
    async enrol (userId: string, accountName: string): Promise<{ secret: string, otpauthUrl: string }> {
      const secret = generateSecret()
      const secretEnc = box.seal(secret, userId)
      const { count } = await prisma.totpFactor.updateMany({ where: { userId, confirmedAt: null }, data: { secretEnc, lastStep: 0, failures: 0, lockedUntil: null } })
      if (count === 0) {
        try {
          await prisma.totpFactor.create({ data: { userId, secretEnc } })
        } catch {
          throw conflict('Two-factor sign-in is already on')
        }
      }
      return { secret, otpauthUrl: generateURI({ issuer: opts.issuer, label: accountName, secret }) }
    },

    /** A current code turns the enrolled secret on; returns the ten recovery codes (shown once). */
    async confirm (userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
      const factor = await loadFactor(userId)
      if (factor === null) throw Errors.twoFactorNotEnrolled()
      if (factor.confirmedAt !== null) throw conflict('Two-factor sign-in is already on')
      refuseWhileLocked(factor)
      const step = await matchingStep(factor, code)
      if (step === undefined) {
        await recordFailure(userId)
        throw badCode(false)
      }
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
      const confirmed = await prisma.$transaction(async (tx) => {
        const { count } = await tx.totpFactor.updateMany({ where: { userId, confirmedAt: null, secretEnc: factor.secretEnc }, data: { confirmedAt: new Date(), lastStep: step, failures: 0 } })
        if (count !== 1) return false
        await tx.totpRecoveryCode.deleteMany({ where: { userId } })
        await tx.totpRecoveryCode.createMany({ data: recoveryCodes.map((c) => ({ id: randomUUID(), userId, codeHash: recoveryHash(userId, c) })) })
        return true
      })
      if (!confirmed) throw conflict('Two-factor enrolment changed meanwhile, start again')
      return { recoveryCodes }
    },

    /** Turns two-factor off: takes a current code or an unused recovery code, never the session alone. */
    async disable (userId: string, code: string): Promise<void> {
      await useCode(userId, code, false)
      await prisma.$transaction([
        prisma.totpRecoveryCode.deleteMany({ where: { userId } }),
        prisma.totpFactor.deleteMany({ where: { userId } })
      ])
    },

    /** The password step's hand-off: an opaque single-use token bound to this user. */
    async startChallenge (userId: string): Promise<{ challenge: string, expiresAt: string }> {
      const challenge = randomBytes(32).toString('base64url')
      const expiresAt = new Date(Date.now() + opts.challengeTtlS * 1000)
      await prisma.$transaction([
        prisma.signInChallenge.deleteMany({ where: { userId, expiresAt: { lt: new Date() } } }),
        prisma.signInChallenge.create({ data: { id: randomUUID(), userId, tokenHash: sha256(challenge), expiresAt } })
      ])
      return { challenge, expiresAt: expiresAt.toISOString() }
    },

    /** The user a challenge belongs to, once a code of that user checks out; the challenge is spent. */
    async completeChallenge (challenge: string, code: string): Promise<string> {
      const row = await prisma.signInChallenge.findUnique({ where: { tokenHash: sha256(challenge) } })
      if (row === null || row.usedAt !== null || row.expiresAt.getTime() <= Date.now() || row.attempts >= opts.challengeMaxAttempts) throw badChallenge()
      try {
        await useCode(row.userId, code, true)
      } catch (err) {
        await prisma.signInChallenge.update({ where: { id: row.id }, data: { attempts: { increment: 1 } } })
        throw err
      }
      const { count } = await prisma.signInChallenge.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } })
      if (count !== 1) throw badChallenge()
      return row.userId
    }
  }
}

export type TotpService = ReturnType<typeof createTotpService>
