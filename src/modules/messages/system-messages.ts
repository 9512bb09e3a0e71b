import { randomUUID } from 'node:crypto'
import type { Prisma } from '../../generated/prisma/client.js'
import { uuidv7 } from '../../lib/uuid.js'
import { membersOf } from '../../delivery/index.js'
import { txSql } from '../../db/tx-sql.js'
import { SYSTEM_MESSAGE_PUBLISH_SQL, SYSTEM_MESSAGE_SQL } from './sql.js'
import { type ConversationsDeps, toMessage, toNewMessageEvent, type MessageRow } from '../conversations/index.js'

// The wire shape of a system message's content is the SDK's protocol module's (one definition).
export type { SystemContent, SystemEvent } from '@relay-im/client/protocol'
import type { SystemContent } from '@relay-im/client/protocol'

/**
 * Writes a system message inside the caller's transaction, which must hold (or take here)
 * the conversation's row lock: the UPDATE of the conversation row takes the next seq and rev
 * exactly as the send statement does (`last_seq`/`last_rev` + 1 under the row lock, so seqs
 * stay gap-free and revs commit in order). The sender is the actor; the clientMsgId is
 * `system:<uuid>` (never a client's), or the caller's (the server API's `app:<clientMsgId>`). Returns the message id: give it to the publisher below
 * after the commit.
 */
export async function writeSystemMessage (tx: Prisma.TransactionClient, conversationId: string, content: SystemContent, clientMsgId = `system:${randomUUID()}`): Promise<string> {
  const id = uuidv7()
  const rows = await txSql(tx).query<{ id: string }>(SYSTEM_MESSAGE_SQL, [conversationId, id, content.actorId, clientMsgId, JSON.stringify(content)])
  if (rows.length === 0) throw new Error(`system message: conversation ${conversationId} not found`)
  return id
}

/** After the commit: each system message as `message:new` to the conversation's members (and `extra` users, e.g. one just removed). */
export function createSystemPublisher (deps: Pick<ConversationsDeps, 'sql' | 'delivery'>) {
  const { sql, delivery } = deps
  return async function publishSystemMessages (messageIds: readonly string[], extra: readonly string[] = []): Promise<void> {
    for (const id of messageIds) {
      // A channel's go to its room (one emit); its member list is not read.
      const rows = await sql.query<MessageRow & { channel: boolean, member_ids: string[] | null }>(SYSTEM_MESSAGE_PUBLISH_SQL, [id], 'system_message_publish')
      const row = rows[0]
      if (row === undefined) continue // the conversation was deleted since (last member left)
      const event = toNewMessageEvent(toMessage(row))
      if (row.channel) {
        delivery.deliver({ event: 'message:new', payload: event, audience: membersOf({ id: row.conversation_id, type: 'channel' }, null) })
        if (extra.length > 0) delivery.deliver({ event: 'message:new', payload: event, audience: { users: extra } })
      } else {
        delivery.deliver({ event: 'message:new', payload: event, audience: { users: [...new Set([...(row.member_ids ?? []), ...extra])] } })
      }
    }
  }
}

export type PublishSystemMessages = ReturnType<typeof createSystemPublisher>
