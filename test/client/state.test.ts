// suite: default only — the SDK's state models over its events; the server paths they drive run on both engines in test/modules
import t from 'tap'
import type { Client } from '@relay-im/client'
import { ConversationList, MessageList, type ConversationListSnapshot } from '@relay-im/client/state'
import { clientFor, group, registerUser, server, until, groupOfTwo } from './fixtures.js'

const ids = (s: ConversationListSnapshot): string[] => s.conversations.map((c) => c.id)

/** Sends and waits for the ack; returns the message's seq. */
async function say (client: Client, conversationId: string, text: string, mentions?: string[]): Promise<{ id: string, seq: number }> {
  return await client.send({ conversationId, type: 'text', content: text, mentions })
}

t.test('conversation list: order, last message, unread and mentions follow the events', async (t) => {
  const srv = await server(t)
  const [a, b, c] = [await registerUser(srv.app), await registerUser(srv.app), await registerUser(srv.app)]
  const g1 = await group(srv.app, a, [b])
  const g2 = await group(srv.app, a, [c])
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  const cc = clientFor(t, srv, c)
  await Promise.all([ca.connect(), cb.connect(), cc.connect()])

  const list = new ConversationList(ca)
  t.teardown(() => { list.close() })
  const snapshots: ConversationListSnapshot[] = []
  list.subscribe(() => snapshots.push(list.getSnapshot()))
  await list.load()
  t.same(ids(list.getSnapshot()).sort(), [g1, g2].sort(), 'both groups loaded')
  const loaded = list.getSnapshot()

  await say(cb, g1, 'hi a')
  await until(() => list.get(g1)?.unread === 1, 3000, 'unread in g1')
  t.equal(ids(list.getSnapshot())[0], g1, 'the newest activity first')
  t.match(list.get(g1)?.lastMessage, { content: 'hi a', senderId: b.id })
  t.equal(list.get(g1)?.unreadMentions, 0)
  t.not(list.getSnapshot(), loaded, 'a change makes a new snapshot')
  t.ok(Object.isFrozen(list.getSnapshot()), 'snapshots are frozen')

  await say(cc, g2, '@a look', [a.id])
  await until(() => list.get(g2)?.unreadMentions === 1, 3000, 'mention in g2')
  t.equal(list.get(g2)?.unread, 1)
  t.equal(ids(list.getSnapshot())[0], g2)

  await say(ca, g1, 'my own')
  await until(() => list.get(g1)?.lastMessage?.content === 'my own', 3000, 'my message is the last')
  t.equal(list.get(g1)?.unread, 0, 'sending reads the conversation up to my message')
  t.equal(list.get(g1)?.readSeq, list.get(g1)?.lastSeq)

  // Read on another device of mine: this device's list follows.
  const a2 = clientFor(t, srv, a)
  await a2.connect()
  await a2.markRead(g2, list.get(g2)!.lastSeq)
  await until(() => list.get(g2)?.unreadMentions === 0, 3000, 'mention read elsewhere')

  // Pinned first, whatever the activity.
  await say(cb, g1, 'later')
  await until(() => ids(list.getSnapshot())[0] === g1, 3000, 'g1 on top')
  await a2.pinConversation(g2)
  await until(() => ids(list.getSnapshot())[0] === g2, 3000, 'pinned g2 on top')

  // An edit of the last message shows; a recall of an unread one takes it out of the counts.
  const late = await say(cb, g1, 'typo')
  await until(() => list.get(g1)?.unread === 2, 3000, 'two unread')
  await cb.edit(late.id, 'fixed')
  await until(() => list.get(g1)?.lastMessage?.content === 'fixed', 3000, 'edit shown')
  await cb.recall(late.id)
  await until(() => list.get(g1)?.unread === 1, 3000, 'recalled one not counted')
  t.equal(list.get(g1)?.lastMessage?.recalled, true)

  // A conversation made after the load appears.
  const g3 = await group(srv.app, b, [a])
  await until(() => list.get(g3) !== undefined, 3000, 'new group in the list')
  await say(cb, g3, 'welcome')
  await until(() => list.get(g3)?.unread === 1, 3000, 'its unread')
  t.ok(snapshots.length > 5, 'listeners were told')
})

t.test('message list: pages of older history, live messages once, changes by rev', async (t) => {
  const { ca, cb, g } = await groupOfTwo(t)
  for (let i = 1; i <= 5; i++) await say(cb, g, `m${i}`)

  const list = new MessageList(ca, g, { pageSize: 2 })
  t.teardown(() => { list.close() })
  const pages: string[][] = []
  for await (const page of list.older()) pages.push(page.map((m) => m.content as string))
  t.same(pages, [['m4', 'm5'], ['m2', 'm3'], ['m1']], 'newest page first, each oldest first')
  t.same(list.getSnapshot().messages.map((m) => m.seq), [1, 2, 3, 4, 5])
  t.equal(list.getSnapshot().hasMore, false)
  t.equal(await list.loadOlder(), false, 'nothing older')

  const sixth = await say(cb, g, 'm6')
  await until(() => list.getSnapshot().messages.length === 6, 3000, 'live message')
  await say(cb, g, 'm7')
  await until(() => list.getSnapshot().messages.length === 7, 3000, 'second live message')
  t.same(list.getSnapshot().messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7], 'in seq order, once each')

  await cb.edit(sixth.id, 'm6 edited')
  await ca.react(sixth.id, '👍')
  await until(() => list.getSnapshot().messages[5]?.reactions.length === 1, 3000, 'reaction applied')
  const m6 = list.getSnapshot().messages[5]!
  t.equal(m6.content, 'm6 edited', 'the edit stays under the later reaction')
  t.ok(m6.editedAt)
  await cb.recall(sixth.id)
  await until(() => list.getSnapshot().messages[5]?.recalled === true, 3000, 'recall applied')
  t.equal(list.getSnapshot().messages[5]?.content, null)

  // A stale copy (lower rev) does not undo a change.
  const before = list.getSnapshot()
  ;(list as unknown as { upsert: (m: unknown) => void }).upsert({ ...m6, rev: 1, recalled: false, content: 'old' })
  t.equal(list.getSnapshot(), before, 'stale copy ignored')

  await ca.deleteForMe(g, sixth.id)
  await until(() => list.getSnapshot().messages.length === 6, 3000, 'deleted for me')
  await ca.clearHistory(g)
  await until(() => list.getSnapshot().messages.length === 0, 3000, 'history cleared')
})
