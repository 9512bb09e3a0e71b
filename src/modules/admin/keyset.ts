import { validation } from '../../lib/errors.js'

/** A keyset position: newest first by (createdAt, id). Opaque to clients (base64url). */
export interface Position { at: Date, id: string }

export function encodeCursor (p: Position): string {
  return Buffer.from(`${p.at.toISOString()}|${p.id}`).toString('base64url')
}

export function decodeCursor (cursor: string): Position {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const date = new Date(at ?? '')
  if (id === undefined || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw validation('Invalid cursor')
  return { at: date, id }
}

/** Prisma `where` for rows strictly after the position in (createdAt desc, id desc) order. */
export function after (cursor: string | undefined): object {
  if (cursor === undefined) return {}
  const p = decodeCursor(cursor)
  return { OR: [{ createdAt: { lt: p.at } }, { createdAt: p.at, id: { lt: p.id } }] }
}
