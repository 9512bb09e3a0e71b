// suite: default only — the protocol module against the server's schemas and docs; nothing here reads the store
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Static } from 'typebox'
import {
  DEFAULT_TEXT_MAX_CHARS, ERROR_STATUS, MENTIONS_MAX, PINS_MAX, PROTOCOL_VERSION, REACTIONS_MAX, SERVER_EVENTS, SYNC_MAX_CURSORS, SYNC_MAX_LIMIT,
  type Conversation, type ForwardedFrom, type HistoryPage, type Message, type MessageType, type Reaction,
  type ReactionsAck, type ReplyRef, type Sender, type SyncResult
} from '@relay-im/client/protocol'
import { ErrorCodes } from '../../src/lib/errors.js'
import { loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'
import * as schemas from '../../src/modules/conversations/schemas.js'
import * as messageSchemas from '../../src/modules/messages/schemas.js'
import { PINS_MAX as SERVER_PINS_MAX } from '../../src/modules/messages/index.js'
import { EMOJIS_PER_MESSAGE } from '../../src/modules/messages/index.js'
import type { SyncResult as ServerSyncResult } from '../../src/modules/messages/index.js'
import { build, registerUser } from '../helper.js'

/**
 * The protocol module (@relay-im/client/protocol) is the one list of codes and limits; the
 * server's schemas must produce what its types promise. The type checks below fail
 * `tsc --noEmit` (and so CI) when a server response drifts from the SDK's types.
 */
type Assignable<To, From extends To> = From
type WithoutContent<T> = Omit<T, 'content' | 'lastMessage'>
export type ServerMessageIsProtocol = Assignable<WithoutContent<Message>, WithoutContent<Static<typeof schemas.Message>>>
export type ServerSenderIsProtocol = Assignable<Sender, Static<typeof schemas.PublicUser>>
export type ServerConversationIsProtocol = Assignable<WithoutContent<Conversation>, WithoutContent<Static<typeof schemas.Conversation>>>
export type ServerPageIsProtocol = Assignable<{ hasMore: boolean }, Omit<Static<typeof messageSchemas.MessagePage>, 'messages'>>
export type ProtocolTypesAreServerTypes = Assignable<Static<typeof schemas.MessageType>, MessageType>
export type ServerTypesAreProtocolTypes = Assignable<MessageType, Static<typeof schemas.MessageType>>
export type HistoryPageKeys = Assignable<keyof Static<typeof messageSchemas.MessagePage>, keyof HistoryPage>
// v2: the changing-message shapes, both ways where the protocol names every field.
export type ServerReactionIsProtocol = Assignable<Reaction, Static<typeof schemas.Reaction>>
export type ProtocolReactionIsServer = Assignable<Static<typeof schemas.Reaction>, Reaction>
export type ServerReplyIsProtocol = Assignable<ReplyRef, Static<typeof schemas.ReplyTo>>
export type ProtocolReplyIsServer = Assignable<Static<typeof schemas.ReplyTo>, ReplyRef>
export type ServerForwardIsProtocol = Assignable<ForwardedFrom, Static<typeof schemas.ForwardedFrom>>
export type ServerReactionsAckIsProtocol = Assignable<ReactionsAck, Static<typeof messageSchemas.ReactionsResult>>
export type ServerSyncIsProtocol = Assignable<WithoutMessages<SyncResult>, WithoutMessages<ServerSyncResult>>
export type ProtocolSyncKeysAreServer = Assignable<keyof ServerSyncResult, keyof SyncResult>
export type MessageKeysAreServer = Assignable<keyof Static<typeof schemas.Message>, keyof Message>
export type ServerJoinedIsProtocol = Assignable<WithoutContent<Conversation>, WithoutContent<NonNullable<ServerSyncResult['joined']>[number]>>
type WithoutMessages<T> = Omit<T, 'messages' | 'updated' | 'joined'>

/** Every field of the protocol's Message, as a value (compared with what the server serves). */
const MESSAGE_FIELDS: Record<keyof Message, true> = {
  id: true, conversationId: true, seq: true, senderId: true, sender: true, clientMsgId: true, type: true, content: true,
  createdAt: true, recalled: true, recalledAt: true, rev: true, editedAt: true, replyTo: true, mentions: true,
  reactions: true, forwardedFrom: true, pinnedAt: true, pinnedBy: true, poll: true, linkPreview: true, threadRootId: true, alsoInChat: true, thread: true
}

t.test('the server takes its error codes from the protocol module', async (t) => {
  t.equal(ErrorCodes, ERROR_STATUS, 'the same object, not a copy')
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.md'), 'utf8')
  for (const code of Object.keys(ERROR_STATUS)) t.match(doc, code, `${code} is in docs/protocol.md`)
})

t.test('limits: the server validates with the protocol module\'s numbers', async (t) => {
  const sync = messageSchemas.SyncEvent as any
  t.equal(sync.properties.cursors.maxProperties, SYNC_MAX_CURSORS)
  t.equal(sync.properties.limit.maximum, SYNC_MAX_LIMIT)
  t.equal(loadConfig({ DATA_DIR: tempDir(t), JWT_SECRET: 'x'.repeat(32) }).TEXT_MAX_CHARS, DEFAULT_TEXT_MAX_CHARS, 'the default text limit')
  t.equal(sync.properties.revs.anyOf?.[0]?.maxProperties ?? sync.properties.revs.maxProperties, SYNC_MAX_CURSORS, 'revs: as many as cursors')
  t.equal(messageSchemas.MENTIONS_MAX, MENTIONS_MAX, 'mentions')
  t.equal(SERVER_PINS_MAX, PINS_MAX, 'pins')
  t.equal(EMOJIS_PER_MESSAGE, REACTIONS_MAX, 'emojis per message')
})

t.test('v2: the server serves protocol 2 and every Message field of the protocol, no more', async (t) => {
  t.equal(PROTOCOL_VERSION, 2)
  const app = await build(t)
  t.same((await app.inject({ method: 'GET', url: '/api/version' })).json().protocol, 2, 'GET /api/version')
  const a = await registerUser(app)
  const b = await registerUser(app)
  const group = await app.inject({ method: 'POST', url: '/api/groups', headers: a.auth, payload: { name: 'g', memberIds: [b.id] } })
  const id: string = group.json().id
  const first = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: a.auth, payload: { clientMsgId: 'one', type: 'text', content: 'hi' } })
  const reply = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: a.auth, payload: { clientMsgId: 'two', type: 'text', content: 'yes @b', replyTo: first.json().id, mentions: [b.id] } })
  t.equal(reply.statusCode, 201, reply.body)
  const m = reply.json()
  t.same(Object.keys(m).sort(), Object.keys(MESSAGE_FIELDS).filter((k) => !['poll', 'linkPreview', 'threadRootId', 'alsoInChat', 'thread'].includes(k)).sort(), 'the served message has exactly the protocol\'s fields (poll: polls only; linkPreview: once attached; thread fields: threads only)')
  t.same(Object.keys(m.replyTo).sort(), ['id', 'preview', 'recalled', 'senderId', 'seq', 'type'])
  const list = await app.inject({ method: 'GET', url: '/api/conversations', headers: b.auth })
  t.equal(list.json()[0].unreadMentions, 1, 'unreadMentions is in the list')
})

t.test('SERVER_EVENTS names every server -> client event of docs/protocol.md', async (t) => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.md'), 'utf8')
  for (const event of SERVER_EVENTS) t.match(doc, event, `${event} is documented`)
  t.equal(new Set(SERVER_EVENTS).size, SERVER_EVENTS.length, 'no repeats')
})
