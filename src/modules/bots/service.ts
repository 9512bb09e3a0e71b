import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { isForeignKeyViolation, isUniqueViolation } from '../../db/constraint-errors.js'
import { conflict, Errors, forbidden, notFound } from '../../lib/errors.js'
import { botTokenHash, newBotToken } from '../../lib/bot-token.js'
import { normalizeUsername } from '../auth/index.js'
import { publicUserSelect, toPublicUser } from '../users/index.js'
import type { BotView, CreateBot, DeliveryView, WebhookInput } from './schemas.js'

/** How many bots one user may own (deleted ones do not count). */
export const MAX_BOTS_PER_USER = 20

export interface BotsDeps {
  prisma: PrismaClient
  /** Erases an account the way `DELETE /users/me` does (groups left, tombstone, sessions cut). */
  eraseAccount: (userId: string) => Promise<boolean>
  endSessions: (userId: string, atMs: number) => Promise<void>
  /** Throws VALIDATION when the URL may not be used as a webhook (scheme, address: outbound URL rules). */
  checkWebhookUrl: (url: string) => Promise<void>
  /** A webhook was set: deliveries may start. */
  webhookChanged?: (botId: string) => void
}

const botNotFound = () => notFound('Bot not found')

const botSelect = {
  userId: true,
  webhookUrl: true,
  webhookSince: true,
  user: { select: publicUserSelect }
} as const

interface BotRow {
  webhookUrl: string | null
  webhookSince: Date | null
  user: Parameters<typeof toPublicUser>[0]
}

function toBotView (row: BotRow): BotView {
  return {
    ...toPublicUser(row.user),
    isBot: true,
    webhook: row.webhookUrl === null || row.webhookSince === null ? null : { url: row.webhookUrl, since: row.webhookSince.toISOString() }
  }
}

/**
 * Bot accounts: a users row with is_bot (no password: '!' never verifies, so login and
 * refresh are impossible) and a bots row with the owner, the token's SHA-256 and the webhook.
 */
export function createBotsService (deps: BotsDeps) {
  const { prisma } = deps

  /** The bot, if `ownerId` owns it and it is not deleted; otherwise NOT_FOUND (no hint that it exists). */
  async function owned (ownerId: string, botId: string): Promise<void> {
    const row = await prisma.bot.findUnique({ where: { userId: botId }, select: { ownerId: true } })
    if (row === null || row.ownerId !== ownerId) throw botNotFound()
  }

  return {
    async create (ownerId: string, callerIsBot: boolean, input: CreateBot): Promise<{ bot: BotView, token: string }> {
      if (callerIsBot) throw forbidden('Bots cannot create bots')
      const count = await prisma.bot.count({ where: { ownerId } })
      if (count >= MAX_BOTS_PER_USER) throw conflict(`A user owns at most ${MAX_BOTS_PER_USER} bots`)
      const id = randomUUID()
      const token = newBotToken()
      try {
        const user = await prisma.user.create({
          data: {
            id,
            username: normalizeUsername(input.username),
            displayName: input.displayName.trim(),
            passwordHash: '!',
            isBot: true,
            bot: { create: { ownerId, tokenHash: botTokenHash(token), tokenIssuedAt: new Date() } }
          },
          select: { bot: { select: botSelect } }
        })
        if (user.bot === null) throw new Error('bot row missing')
        return { bot: toBotView(user.bot), token }
      } catch (err) {
        if (isUniqueViolation(err)) throw Errors.usernameTaken()
        // The owner's row is gone: a deleted account's token.
        if (isForeignKeyViolation(err)) throw Errors.invalidToken()
        throw err
      }
    },

    async list (ownerId: string): Promise<BotView[]> {
      const rows = await prisma.bot.findMany({ where: { ownerId }, select: botSelect, orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }] })
      return rows.map(toBotView)
    },

    /** Deletes the bot like an account (messages stay as from "Deleted user"); its sockets are cut. */
    async remove (ownerId: string, botId: string): Promise<void> {
      await owned(ownerId, botId)
      if (!await deps.eraseAccount(botId)) throw botNotFound()
    },

    /** A new token; the old one stops working at once and the bot's sockets are cut. */
    async rotateToken (ownerId: string, botId: string): Promise<{ token: string }> {
      await owned(ownerId, botId)
      const token = newBotToken()
      const now = new Date()
      await prisma.bot.update({ where: { userId: botId }, data: { tokenHash: botTokenHash(token), tokenIssuedAt: now } })
      await deps.endSessions(botId, now.getTime())
      return { token }
    },

    /**
     * Sets (or replaces) the webhook. Messages created from now on are delivered; a new URL
     * does not replay what the old one already got (the cursors stay).
     */
    async setWebhook (ownerId: string, botId: string, input: WebhookInput): Promise<BotView> {
      await owned(ownerId, botId)
      await deps.checkWebhookUrl(input.url)
      const current = await prisma.bot.findUnique({ where: { userId: botId }, select: { webhookSince: true } })
      const row = await prisma.bot.update({
        where: { userId: botId },
        data: { webhookUrl: input.url, webhookSecret: input.secret, webhookSince: current?.webhookSince ?? new Date() },
        select: botSelect
      })
      deps.webhookChanged?.(botId)
      return toBotView(row)
    },

    /** Removes the webhook; pending deliveries stop, and a later webhook starts from its own time. */
    async deleteWebhook (ownerId: string, botId: string): Promise<void> {
      await owned(ownerId, botId)
      await prisma.$transaction([
        prisma.bot.update({ where: { userId: botId }, data: { webhookUrl: null, webhookSecret: null, webhookSince: null } }),
        prisma.webhookCursor.deleteMany({ where: { botId } })
      ])
    },

    async deliveries (ownerId: string, botId: string, query: { limit?: number, before?: string }): Promise<DeliveryView[]> {
      await owned(ownerId, botId)
      const rows = await prisma.webhookDelivery.findMany({
        where: { botId, ...(query.before === undefined ? {} : { createdAt: { lt: new Date(query.before) } }) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit ?? 50
      })
      return rows.map((r) => ({
        id: r.id,
        conversationId: r.conversationId,
        messageId: r.messageId,
        seq: r.seq,
        attempt: r.attempt,
        status: r.status as DeliveryView['status'],
        responseCode: r.responseCode,
        error: r.error,
        createdAt: r.createdAt.toISOString()
      }))
    },
  }
}

/** Cuts the live sockets of every bot a user owns (the owner was suspended: their bots stop too). */
export async function endOwnedBotSessions (prisma: PrismaClient, endSessions: BotsDeps['endSessions'], ownerId: string, atMs: number): Promise<void> {
  const bots = await prisma.bot.findMany({ where: { ownerId }, select: { userId: true } })
  for (const b of bots) await endSessions(b.userId, atMs)
}

export type BotsService = ReturnType<typeof createBotsService>
