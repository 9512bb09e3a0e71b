import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../../generated/prisma/client.js'
import { Errors, forbidden, notFound, validation } from '../../lib/errors.js'
import { writeAudit } from '../admin/index.js'
import { hashesMatch, newServerKey, SCOPES, SERVER_KEY_RE, serverKeyHash, type Scope } from './keys.js'
import type { ServerKeyView } from './schemas.js'

interface KeyRow { id: string, name: string, scopes: string[], createdBy: string | null, createdAt: Date, revokedAt: Date | null }

const toView = (r: KeyRow): ServerKeyView => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null
})

/** The key a request presented: its id (for audit entries and rate limits) and scopes. */
export interface ServerCaller { keyId: string, scopes: readonly string[] }

/** Server keys: created and revoked by an admin (or the operator's command line), stored hashed, audited. */
export function createServerKeyService (prisma: PrismaClient) {
  return {
    /** The new key in clear, this once; `actorId` null: the command line. */
    async create (actorId: string | null, name: string, scopes: string[]): Promise<ServerKeyView & { key: string }> {
      const unique = [...new Set(scopes)]
      if (unique.length === 0 || !unique.every((s) => (SCOPES as readonly string[]).includes(s))) throw validation(`scopes: one or more of ${SCOPES.join(', ')}`)
      const key = newServerKey()
      const id = randomUUID()
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.serverKey.create({ data: { id, name: name.trim(), keyHash: serverKeyHash(key), scopes: unique, createdBy: actorId } })
        await writeAudit(tx, { actorId, action: 'server_key.create', targetType: 'server_key', targetId: id, details: { name: created.name, scopes: unique } })
        return created
      })
      return { ...toView(row), key }
    },

    async list (): Promise<ServerKeyView[]> {
      const rows = await prisma.serverKey.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 500 })
      return rows.map(toView)
    },

    /** Revoking again is a no-op (not audited twice). */
    async revoke (actorId: string | null, id: string): Promise<ServerKeyView> {
      return await prisma.$transaction(async (tx) => {
        const { count } = await tx.serverKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } })
        const row = await tx.serverKey.findUnique({ where: { id } })
        if (row === null) throw notFound('Server key not found')
        if (count === 1) await writeAudit(tx, { actorId, action: 'server_key.revoke', targetType: 'server_key', targetId: id, details: { name: row.name } })
        return toView(row)
      })
    },

    /** The caller behind `Authorization: Server <key>`: UNAUTHORIZED for a malformed, unknown or revoked key. */
    async verify (key: string): Promise<ServerCaller> {
      if (!SERVER_KEY_RE.test(key)) throw Errors.invalidToken()
      const hash = serverKeyHash(key)
      const row = await prisma.serverKey.findUnique({ where: { keyHash: hash }, select: { id: true, keyHash: true, scopes: true, revokedAt: true } })
      if (row === null || row.revokedAt !== null || !hashesMatch(row.keyHash, hash)) throw Errors.invalidToken()
      return { keyId: row.id, scopes: row.scopes }
    }
  }
}

export type ServerKeyService = ReturnType<typeof createServerKeyService>

/** FORBIDDEN unless the key carries the scope. */
export function requireScope (caller: ServerCaller, scope: Scope): void {
  if (!caller.scopes.includes(scope)) throw forbidden(`This server key lacks the scope "${scope}"`)
}
