import fp from 'fastify-plugin'

export interface PresenceStatus { online: boolean, lastSeenAt: string | null }

export interface Presence {
  /** Presence of each user: online on any node, else the stored lastSeenAt. */
  status: (userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
}

declare module 'fastify' {
  interface FastifyInstance { presence: Presence }
}

// Placeholder until the realtime work lands: everybody offline, lastSeenAt from the users table.
export default fp(async (app) => {
  app.decorate('presence', {
    status: async (userIds) => {
      const rows = await app.prisma.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, lastSeenAt: true } })
      return new Map(rows.map((r) => [r.id, { online: false, lastSeenAt: r.lastSeenAt?.toISOString() ?? null }]))
    }
  } satisfies Presence)
}, { name: 'presence', dependencies: ['db', 'realtime'] })
