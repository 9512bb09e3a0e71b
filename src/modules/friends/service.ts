import type { PublishToUser } from '../../plugins/realtime/index.js'
import { randomUUID } from 'node:crypto'
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js'
import { isForeignKeyViolation, isUniqueViolation } from '../../db/constraint-errors.js'
import { conflict, Errors, notFound, validation } from '../../lib/errors.js'
import { type PublicUser, publicUserSelect, toPublicUser } from '../users/index.js'
import type { Direction, FriendRequestView } from './schemas.js'
import { txSql } from '../../db/tx-sql.js'
import { PAIR_LOCK_SQL } from './sql.js'

export interface Relation { isFriend: boolean, since?: string, blocked: boolean, blockedBy: boolean }

/** Live delivery to every device of a user; a plain function so the service stays socket-free. */
export type Publish = PublishToUser

export interface FriendsOptions { publish: Publish }

export interface Friend { user: PublicUser, since: string }
export interface BlockView { userId: string, createdAt: string }
export interface BlockedUser { user: PublicUser, createdAt: string }

type Tx = Prisma.TransactionClient

const requestInclude = { from: { select: publicUserSelect }, to: { select: publicUserSelect } } as const
type RequestRow = Prisma.FriendRequestGetPayload<{ include: typeof requestInclude }>

function toRequest (row: RequestRow): FriendRequestView {
  return {
    id: row.id,
    fromUserId: row.fromUserId,
    toUserId: row.toUserId,
    from: toPublicUser(row.from),
    to: toPublicUser(row.to),
    message: row.message,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    respondedAt: row.respondedAt?.toISOString() ?? null
  }
}

// Advisory-lock class for friend-graph changes, so our keys never meet another module's locks.
const PAIR_LOCK_CLASS = 0x46524e44 // "FRND"

const requestNotFound = () => notFound('Friend request not found')
const notPending = () => conflict('Friend request is no longer pending')

/**
 * The friend graph: requests, friendships (stored both ways) and blocks. Other modules
 * (conversations, presence) ask it about a pair of users or for someone's friends.
 *
 * Every change to a pair runs in one transaction holding an advisory lock on the unordered
 * pair, so two users acting on each other at once are serialised: mutual requests end in one
 * friendship, accept/decline/cancel/block cannot interleave. The conditional
 * `status = 'pending'` updates and the unique (from, to) pair are the second line.
 */
export function createFriendsService (prisma: PrismaClient, opts: FriendsOptions) {
  const { publish } = opts

  async function inPairTx<T> (a: string, b: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const key = a < b ? `${a}:${b}` : `${b}:${a}`
    try {
      return await prisma.$transaction(async (tx) => {
        await txSql(tx).execute(PAIR_LOCK_SQL, [PAIR_LOCK_CLASS, key])
        return await fn(tx)
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Conflicting change, try again')
      // A user deleted under us.
      if (isForeignKeyViolation(err)) throw Errors.userNotFound()
      throw err
    }
  }

  async function blockedEitherWay (db: Tx | PrismaClient, a: string, b: string): Promise<boolean> {
    const n = await db.block.count({ where: { OR: [{ blockerId: a, blockedId: b }, { blockerId: b, blockedId: a }] } })
    return n > 0
  }

  async function requireUser (db: Tx | PrismaClient, id: string): Promise<void> {
    // A deleted account (tombstone) is nobody to befriend or block.
    if (await db.user.findUnique({ where: { id, deletedAt: null }, select: { id: true } }) === null) throw Errors.userNotFound()
  }

  /** Marks a pending request accepted and makes the pair friends; null when it was not pending. */
  async function acceptInTx (tx: Tx, requestId: string, recipientId: string, now: Date): Promise<RequestRow | null> {
    const { count } = await tx.friendRequest.updateMany({
      where: { id: requestId, toUserId: recipientId, status: 'pending' },
      data: { status: 'accepted', respondedAt: now }
    })
    if (count !== 1) return null
    const row = await tx.friendRequest.findUniqueOrThrow({ where: { id: requestId }, include: requestInclude })
    await tx.friendship.createMany({
      data: [{ userId: row.fromUserId, friendId: row.toUserId, createdAt: now }, { userId: row.toUserId, friendId: row.fromUserId, createdAt: now }],
      skipDuplicates: true
    })
    return row
  }

  /** friend:accepted to both sides; each learns who the new friend is. */
  function announceAccepted (request: FriendRequestView): void {
    publish(request.fromUserId, 'friend:accepted', { userId: request.toUserId, request })
    publish(request.toUserId, 'friend:accepted', { userId: request.fromUserId, request })
  }

  /** friend:removed to both sides, the same whether it was a removal or a block. */
  function announceRemoved (a: string, b: string): void {
    publish(a, 'friend:removed', { userId: b })
    publish(b, 'friend:removed', { userId: a })
  }

  /** Finds a request the caller may act on in that role; anything else is not found. */
  async function ownRequest (requestId: string, userId: string, role: 'recipient' | 'sender'): Promise<{ fromUserId: string, toUserId: string }> {
    const found = await prisma.friendRequest.findUnique({ where: { id: requestId }, select: { fromUserId: true, toUserId: true } })
    if (found === null || (role === 'recipient' ? found.toUserId : found.fromUserId) !== userId) throw requestNotFound()
    return found
  }

  /** How `userId` stands towards `otherId`. */
  async function relation (userId: string, otherId: string): Promise<Relation> {
    const [friendship, blocks] = await Promise.all([
      prisma.friendship.findUnique({ where: { userId_friendId: { userId, friendId: otherId } } }),
      prisma.block.findMany({ where: { OR: [{ blockerId: userId, blockedId: otherId }, { blockerId: otherId, blockedId: userId }] } })
    ])
    return {
      isFriend: friendship !== null,
      ...(friendship !== null ? { since: friendship.createdAt.toISOString() } : {}),
      blocked: blocks.some((b) => b.blockerId === userId),
      blockedBy: blocks.some((b) => b.blockerId === otherId)
    }
  }

  async function respond (userId: string, requestId: string, answer: 'accepted' | 'declined'): Promise<FriendRequestView> {
    const { fromUserId } = await ownRequest(requestId, userId, 'recipient')
    const row = await inPairTx(fromUserId, userId, async (tx) => {
      const now = new Date()
      if (answer === 'accepted') return await acceptInTx(tx, requestId, userId, now)
      const { count } = await tx.friendRequest.updateMany({ where: { id: requestId, toUserId: userId, status: 'pending' }, data: { status: 'declined', respondedAt: now } })
      return count === 1 ? await tx.friendRequest.findUniqueOrThrow({ where: { id: requestId }, include: requestInclude }) : null
    })
    if (row === null) throw notPending()
    const request = toRequest(row)
    if (answer === 'accepted') announceAccepted(request)
    return request
  }

  return {
    relation,

    /** `relation` for an existing user; NOT_FOUND otherwise. */
    async relationWith (userId: string, otherId: string): Promise<Relation> {
      await requireUser(prisma, otherId)
      return await relation(userId, otherId)
    },

    /** Ids of everyone `userId` is friends with (presence tells them about status changes). */
    async friendIds (userId: string): Promise<string[]> {
      const rows = await prisma.friendship.findMany({ where: { userId }, select: { friendId: true } })
      return rows.map((r) => r.friendId)
    },

    async isBlockedEitherWay (a: string, b: string): Promise<boolean> {
      return await blockedEitherWay(prisma, a, b)
    },

    /**
     * Sends a request, or re-sends one that was declined or cancelled (the pair's one row goes
     * back to pending with a new time and message). When the other user already asked me,
     * this accepts their request instead: `accepted` is true and the request returned is theirs.
     */
    async sendRequest (fromId: string, toId: string, message?: string): Promise<{ request: FriendRequestView, accepted: boolean }> {
      // VALIDATION rather than FORBIDDEN: it is wrong whatever the state, like blocking yourself.
      if (fromId === toId) throw validation('Cannot send a friend request to yourself')
      const result = await inPairTx(fromId, toId, async (tx) => {
        await requireUser(tx, toId)
        // One message for both directions: the sender must not learn who blocked whom.
        if (await blockedEitherWay(tx, fromId, toId)) throw Errors.blocked()
        if (await tx.friendship.findUnique({ where: { userId_friendId: { userId: fromId, friendId: toId } } }) !== null) throw conflict('Already friends')
        const now = new Date()
        const opposite = await tx.friendRequest.findUnique({ where: { fromUserId_toUserId: { fromUserId: toId, toUserId: fromId } }, select: { id: true, status: true } })
        if (opposite?.status === 'pending') {
          const row = await acceptInTx(tx, opposite.id, fromId, now)
          if (row !== null) return { row, accepted: true }
        }
        const mine = await tx.friendRequest.findUnique({ where: { fromUserId_toUserId: { fromUserId: fromId, toUserId: toId } }, select: { id: true, status: true } })
        if (mine?.status === 'pending') throw conflict('Friend request already sent')
        const data = { message: message ?? null, status: 'pending' as const, createdAt: now, respondedAt: null }
        const row = mine === null
          ? await tx.friendRequest.create({ data: { id: randomUUID(), fromUserId: fromId, toUserId: toId, ...data }, include: requestInclude })
          : await tx.friendRequest.update({ where: { id: mine.id }, data, include: requestInclude })
        return { row, accepted: false }
      })
      const request = toRequest(result.row)
      if (result.accepted) announceAccepted(request)
      else publish(toId, 'friend:request', request)
      return { request, accepted: result.accepted }
    },

    /** Pending requests to (incoming) or from (outgoing) the user, newest first. */
    async listRequests (userId: string, direction: Direction): Promise<FriendRequestView[]> {
      const rows = await prisma.friendRequest.findMany({
        where: { ...(direction === 'incoming' ? { toUserId: userId } : { fromUserId: userId }), status: 'pending' },
        include: requestInclude,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }]
      })
      return rows.map(toRequest)
    },

    /** Only the recipient may accept; makes both friends in the same transaction. */
    async accept (userId: string, requestId: string): Promise<FriendRequestView> {
      return await respond(userId, requestId, 'accepted')
    },

    /** Only the recipient may decline; the sender is not told (no event). */
    async decline (userId: string, requestId: string): Promise<FriendRequestView> {
      return await respond(userId, requestId, 'declined')
    },

    /** Only the sender may cancel. */
    async cancel (userId: string, requestId: string): Promise<void> {
      const { toUserId } = await ownRequest(requestId, userId, 'sender')
      const count = await inPairTx(userId, toUserId, async (tx) => {
        const r = await tx.friendRequest.updateMany({ where: { id: requestId, fromUserId: userId, status: 'pending' }, data: { status: 'cancelled', respondedAt: new Date() } })
        return r.count
      })
      if (count !== 1) throw notPending()
    },

    /** Friends with the time they became friends, by username. */
    async listFriends (userId: string): Promise<Friend[]> {
      const rows = await prisma.friendship.findMany({
        where: { userId },
        select: { createdAt: true, friend: { select: publicUserSelect } },
        orderBy: { friend: { username: 'asc' } }
      })
      return rows.map((r) => ({ user: toPublicUser(r.friend), since: r.createdAt.toISOString() }))
    },

    /** Removes the friendship both ways; NOT_FOUND when they are not friends. */
    async removeFriend (userId: string, otherId: string): Promise<void> {
      const { count } = await inPairTx(userId, otherId, async (tx) =>
        await tx.friendship.deleteMany({ where: { OR: [{ userId, friendId: otherId }, { userId: otherId, friendId: userId }] } }))
      if (count === 0) throw notFound('Not friends with this user')
      announceRemoved(userId, otherId)
    },

    /**
     * Blocks `otherId` (idempotent: `created` is false when already blocked) and, in the same
     * transaction, ends the friendship and pending requests both ways. The blocked user only
     * sees what a removal looks like: friend:removed when they were friends, nothing otherwise.
     */
    async block (userId: string, otherId: string): Promise<{ block: BlockView, created: boolean }> {
      if (userId === otherId) throw validation('Cannot block yourself')
      const result = await inPairTx(userId, otherId, async (tx) => {
        await requireUser(tx, otherId)
        const existing = await tx.block.findUnique({ where: { blockerId_blockedId: { blockerId: userId, blockedId: otherId } } })
        if (existing !== null) return { row: existing, created: false, unfriended: false }
        const now = new Date()
        const row = await tx.block.create({ data: { blockerId: userId, blockedId: otherId, createdAt: now } })
        const { count } = await tx.friendship.deleteMany({ where: { OR: [{ userId, friendId: otherId }, { userId: otherId, friendId: userId }] } })
        await tx.friendRequest.updateMany({ where: { fromUserId: userId, toUserId: otherId, status: 'pending' }, data: { status: 'cancelled', respondedAt: now } })
        await tx.friendRequest.updateMany({ where: { fromUserId: otherId, toUserId: userId, status: 'pending' }, data: { status: 'declined', respondedAt: now } })
        return { row, created: true, unfriended: count > 0 }
      })
      if (result.unfriended) announceRemoved(userId, otherId)
      return { block: { userId: otherId, createdAt: result.row.createdAt.toISOString() }, created: result.created }
    },

    /** Lifts my block; friendship is not restored. NOT_FOUND when I do not block them. */
    async unblock (userId: string, otherId: string): Promise<void> {
      const { count } = await prisma.block.deleteMany({ where: { blockerId: userId, blockedId: otherId } })
      if (count === 0) throw notFound('User is not blocked')
    },

    /** Users I block, most recent first. */
    async listBlocks (userId: string): Promise<BlockedUser[]> {
      const rows = await prisma.block.findMany({
        where: { blockerId: userId },
        select: { createdAt: true, blocked: { select: publicUserSelect } },
        orderBy: [{ createdAt: 'desc' }, { blockedId: 'asc' }]
      })
      return rows.map((r) => ({ user: toPublicUser(r.blocked), createdAt: r.createdAt.toISOString() }))
    }
  }
}

export type FriendsService = ReturnType<typeof createFriendsService>
