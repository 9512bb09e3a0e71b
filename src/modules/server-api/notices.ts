import { Errors } from '../../lib/errors.js'
import { txSql } from '../../db/tx-sql.js'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { SqlClient } from '../../db/drivers.js'
import { MESSAGE_BY_ID_SQL, toMessage, type ConversationsDeps, type MessageRow, type MessageView } from '../conversations/index.js'
import { createSystemPublisher, writeSystemMessage } from '../messages/index.js'

// Under the conversation's row lock (the lock every send and member change takes): the
// conversation, the notice already written for this clientMsgId, and the member the notice
// is written under (the owner, else the longest-standing member).
const LOCK_SQL = 'SELECT id FROM conversations WHERE id = $1::uuid FOR UPDATE'
const EXISTING_SQL = "SELECT id FROM messages WHERE conversation_id = $1::uuid AND client_msg_id = $2 AND type = 'system' LIMIT 1"
const WRITER_SQL = "SELECT user_id FROM conversation_members WHERE conversation_id = $1::uuid ORDER BY (role = 'owner') DESC, joined_at, user_id LIMIT 1"

/**
 * The app's system messages (`app_notice`): written into any conversation the way the server's
 * own system messages are (messages/system-messages.ts: the next seq and rev under the row
 * lock, then `message:new` to the members after the commit), idempotent by the app's
 * clientMsgId, stored as `app:<clientMsgId>` and looked up under the same lock, so a repeat,
 * concurrent or not, returns the original. Not shown to the before-send hook: the app wrote it.
 */
export function createAppNotices (deps: { prisma: PrismaClient, sql: SqlClient, conversations: Pick<ConversationsDeps, 'sql' | 'delivery'> }) {
  const publish = createSystemPublisher(deps.conversations)
  return async function notice (conversationId: string, clientMsgId: string, text: string): Promise<{ message: MessageView, created: boolean }> {
    const stored = `app:${clientMsgId}`
    const { id, created } = await deps.prisma.$transaction(async (tx) => {
      const sql = txSql(tx)
      if ((await sql.query(LOCK_SQL, [conversationId])).length === 0) throw Errors.conversationNotFound()
      const existing = (await sql.query<{ id: string }>(EXISTING_SQL, [conversationId, stored]))[0]
      if (existing !== undefined) return { id: existing.id, created: false }
      const writer = (await sql.query<{ user_id: string }>(WRITER_SQL, [conversationId]))[0]
      if (writer === undefined) throw Errors.conversationNotFound()
      return { id: await writeSystemMessage(tx, conversationId, { event: 'app_notice', actorId: writer.user_id, text }, stored), created: true }
    })
    if (created) await publish([id])
    const row = (await deps.sql.query<MessageRow>(MESSAGE_BY_ID_SQL, [id], 'message_by_id'))[0]
    if (row === undefined) throw Errors.conversationNotFound()
    return { message: toMessage(row), created }
  }
}
