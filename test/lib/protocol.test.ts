import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Static } from 'typebox'
import {
  DEFAULT_TEXT_MAX_CHARS, ERROR_STATUS, SERVER_EVENTS, SYNC_MAX_CURSORS, SYNC_MAX_LIMIT,
  type Conversation, type HistoryPage, type Message, type MessageType, type Sender
} from '@relay-im/client/protocol'
import { ErrorCodes } from '../../src/lib/errors.js'
import { loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'
import * as schemas from '../../src/modules/conversations/schemas.js'

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
export type ServerPageIsProtocol = Assignable<{ hasMore: boolean }, Omit<Static<typeof schemas.MessagePage>, 'messages'>>
export type ProtocolTypesAreServerTypes = Assignable<Static<typeof schemas.MessageType>, MessageType>
export type ServerTypesAreProtocolTypes = Assignable<MessageType, Static<typeof schemas.MessageType>>
export type HistoryPageKeys = Assignable<keyof Static<typeof schemas.MessagePage>, keyof HistoryPage>

t.test('the server takes its error codes from the protocol module', async (t) => {
  t.equal(ErrorCodes, ERROR_STATUS, 'the same object, not a copy')
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.md'), 'utf8')
  for (const code of Object.keys(ERROR_STATUS)) t.match(doc, code, `${code} is in docs/protocol.md`)
})

t.test('limits: the server validates with the protocol module\'s numbers', async (t) => {
  const sync = schemas.SyncEvent as any
  t.equal(sync.properties.cursors.maxProperties, SYNC_MAX_CURSORS)
  t.equal(sync.properties.limit.maximum, SYNC_MAX_LIMIT)
  t.equal(loadConfig({ DATA_DIR: tempDir(t), JWT_SECRET: 'x'.repeat(32) }).TEXT_MAX_CHARS, DEFAULT_TEXT_MAX_CHARS, 'the default text limit')
})

t.test('SERVER_EVENTS names every server -> client event of docs/protocol.md', async (t) => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'protocol.md'), 'utf8')
  for (const event of SERVER_EVENTS) t.match(doc, event, `${event} is documented`)
  t.equal(new Set(SERVER_EVENTS).size, SERVER_EVENTS.length, 'no repeats')
})
