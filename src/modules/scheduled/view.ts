import type { ScheduledMessage, ScheduledStatus, SendableMessageType } from '@relay-im/client/protocol'

/** A row as the module's statements return it (sql.ts, COLUMNS). */
export interface ScheduledRow {
  id: string
  sender_id: string
  conversation_id: string
  client_msg_id: string
  type: string
  content: unknown
  reply_to: string | null
  mentions: unknown
  send_at: Date
  status: string
  message_id: string | null
  error_code: string | null
  error_message: string | null
  created_at: Date
  updated_at: Date
}

/** The wire shape (docs/protocol.md, "Scheduled messages"); `status` overrides the row's (a cancel's event). */
export function toScheduled (row: ScheduledRow, status?: ScheduledStatus): ScheduledMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    clientMsgId: row.client_msg_id,
    type: row.type as SendableMessageType,
    content: row.content as ScheduledMessage['content'],
    replyTo: row.reply_to,
    mentions: (row.mentions as string[] | null) ?? null,
    sendAt: new Date(row.send_at).toISOString(),
    status: status ?? row.status as ScheduledStatus,
    messageId: row.message_id,
    error: row.error_code === null ? null : { code: row.error_code as NonNullable<ScheduledMessage['error']>['code'], message: row.error_message ?? '' },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString()
  }
}
