// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { ClientError, MUTE_FOREVER, type Client, type Conversation } from '@relay-im/client'
import { clientFor, next, registerUser, server, type Server } from './fixtures.js'
import { befriend, type TestUser } from '../helper.js'

/**
 * The SDK's v2 group methods against a real server: my settings of a conversation (pin,
 * archive, notify, mute), the group profile, roles, transfer and leaving, invite links and
 * public channels, each with the error the server gives for a bad call.
 */
t.setTimeout(120_000)

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    return err instanceof ClientError ? err.code : String(err)
  }
}

async function people (srv: Server, n: number): Promise<Array<{ user: TestUser, client: Client }>> {
  const users = await Promise.all(Array.from({ length: n }, async () => await registerUser(srv.app)))
  return users.map((user) => ({ user, client: clientFor(t, srv, user) }))
}

t.test('settings: pin, archive, notify and mute, with the list following', async (t) => {
  const srv = await server(t)
  const [a, b] = await people(srv, 2)
  await befriend(srv.app, a!.user, b!.user)
  const one = await a!.client.createGroup('one', [b!.user.id])
  const two = await a!.client.createGroup('two', [b!.user.id])
  await b!.client.postMessage(one.id, { clientMsgId: randomUUID(), type: 'text', content: 'first' })
  await b!.client.postMessage(two.id, { clientMsgId: randomUUID(), type: 'text', content: 'second' })

  const ids = async (archived = false): Promise<string[]> => (await a!.client.conversations({ archived })).map((c) => c.id)
  t.same((await ids()).slice(0, 2), [two.id, one.id], 'newest first')
  t.match((await a!.client.conversations())[0]?.settings, { notify: 'all', mutedUntil: null, archived: false, pinned: false }, 'every entry has settings')

  t.match(await a!.client.pinConversation(one.id), { pinned: true })
  t.same((await ids())[0], one.id, 'pinned first')
  t.match(await a!.client.pinConversation(one.id, false), { pinned: false })

  // Another device of mine hears about the change.
  const other = clientFor(t, srv, a!.user)
  await other.connect()
  const heard = next(other, 'conversation:settings' as any, (e: any) => e.conversationId === two.id)
  t.match(await a!.client.archiveConversation(two.id), { archived: true })
  t.match(await heard, { conversationId: two.id, settings: { archived: true } })
  t.notOk((await ids()).includes(two.id), 'archived: left out')
  const all = await a!.client.conversations({ archived: true })
  t.ok(all.some((c) => c.id === two.id && c.settings?.archived === true), 'listed with archived: true')

  // A message brings it back; muted, it stays archived.
  await b!.client.postMessage(two.id, { clientMsgId: randomUUID(), type: 'text', content: 'back' })
  t.ok((await ids()).includes(two.id), 'un-archived by a message')
  const muted = await a!.client.mute(two.id, 60 * 60 * 1000)
  t.ok(Date.parse(muted.mutedUntil!) > Date.now() + 59 * 60 * 1000, 'muted for an hour')
  await a!.client.archiveConversation(two.id)
  await b!.client.postMessage(two.id, { clientMsgId: randomUUID(), type: 'text', content: 'quiet' })
  t.notOk((await ids()).includes(two.id), 'a muted conversation stays archived')
  t.match(await a!.client.mute(two.id, null), { mutedUntil: MUTE_FOREVER }, 'until unmuted')
  t.match(await a!.client.mute(two.id, new Date(Date.now() + 8 * 3_600_000)), { mutedUntil: String })
  t.match(await a!.client.unmute(two.id), { mutedUntil: null })
  t.match(await a!.client.setNotify(two.id, 'mentions'), { notify: 'mentions' })
  t.match(await a!.client.updateSettings(two.id, { archived: false, notify: 'all' }), { archived: false, notify: 'all' })

  // Bad input: clear codes, nothing changed.
  t.equal(await codeOf(a!.client.mute(two.id, new Date(Date.now() - 60_000))), 'VALIDATION', 'a mute in the past')
  t.equal(await codeOf(a!.client.setNotify(two.id, 'loud' as any)), 'VALIDATION', 'an unknown notify level')
  t.equal(await codeOf(a!.client.updateSettings(two.id, {})), 'VALIDATION', 'an empty patch')
  const stranger = (await people(srv, 1))[0]!
  t.equal(await codeOf(stranger.client.pinConversation(two.id)), 'NOT_FOUND', 'not a member')
  t.match((await a!.client.conversations()).find((c) => c.id === two.id)?.settings, { notify: 'all', mutedUntil: null, archived: false })
})

t.test('groups: profile, roles, transfer and leaving', async (t) => {
  const srv = await server(t)
  const [a, b, c] = await people(srv, 3)
  await befriend(srv.app, a!.user, b!.user)
  await befriend(srv.app, a!.user, c!.user)
  const g = await a!.client.createGroup('team', [b!.user.id, c!.user.id])
  await b!.client.connect()

  const updated = next(b!.client, 'conversation:updated', (x) => x.id === g.id && x.name === 'Team A')
  const renamed = await a!.client.updateGroup(g.id, { name: 'Team A', topic: 'Ship it' })
  t.match(renamed, { id: g.id, name: 'Team A', topic: 'Ship it' })
  t.match(await updated, { name: 'Team A' }, 'members hear of it')
  t.equal(await codeOf(b!.client.updateGroup(g.id, { name: 'mine now' })), 'FORBIDDEN', 'a member renames')
  t.equal(await codeOf(a!.client.updateGroup(g.id, { name: '' })), 'VALIDATION', 'an empty name')

  const roleOf = (conv: Conversation, userId: string): string | undefined => conv.members.find((m) => m.id === userId)?.role
  const promoted = await a!.client.setRole(g.id, b!.user.id, 'admin')
  t.equal(roleOf(promoted, b!.user.id), 'admin')
  t.equal(await codeOf(b!.client.setRole(g.id, c!.user.id, 'admin')), 'FORBIDDEN', 'an admin promotes')
  t.match(await b!.client.updateGroup(g.id, { topic: 'by an admin' }), { topic: 'by an admin' }, 'an admin edits the profile')
  const stranger = (await people(srv, 1))[0]!
  t.ok(['NOT_FOUND', 'VALIDATION'].includes((await codeOf(a!.client.setRole(g.id, stranger.user.id, 'admin')))!), 'promoting a non-member')

  t.equal(await codeOf(b!.client.transferOwnership(g.id, c!.user.id)), 'FORBIDDEN', 'a non-owner transfers')
  const handed = await a!.client.transferOwnership(g.id, c!.user.id)
  t.equal(roleOf(handed, c!.user.id), 'owner')
  t.equal(roleOf(handed, a!.user.id), 'admin', 'the old owner becomes an admin')

  // The new owner leaves: the oldest admin takes over.
  await c!.client.leaveGroup(g.id)
  const [after] = (await a!.client.conversations()).filter((x) => x.id === g.id)
  t.notOk(after!.members.some((m) => m.id === c!.user.id), 'left')
  t.equal(after!.members.filter((m) => m.role === 'owner').length, 1, 'one owner')

  // System messages are in the history, typed and never unread.
  const history = await a!.client.history(g.id, { limit: 50 })
  const events = history.messages.filter((m) => (m.type as string) === 'system').map((m) => (m.content as { event: string }).event)
  for (const e of ['renamed', 'role_changed', 'owner_transferred', 'member_left']) t.ok(events.includes(e), `a ${e} notice`)
})

t.test('invites: create, preview, join, revoke', async (t) => {
  const srv = await server(t)
  const [a, b, c] = await people(srv, 3)
  const g = await a!.client.createGroup('club', [])
  await a!.client.updateGroup(g.id, { topic: 'Fridays' })
  const invite = await a!.client.createInvite(g.id, { expiresInS: 3600, maxUses: 5 })
  t.match(invite, { code: String, maxUses: 5, uses: 0 })
  t.ok(invite.code.length >= 20, 'a long code')
  t.match(await b!.client.previewInvite(invite.code), { conversation: { id: g.id, name: 'club', topic: 'Fridays', memberCount: 1 } })
  const joined = await b!.client.joinInvite(invite.code)
  t.equal(joined.id, g.id)
  t.ok(joined.members.some((m) => m.id === b!.user.id), 'a member now')
  t.equal(await codeOf(b!.client.createInvite(g.id)), 'FORBIDDEN', 'a member makes no invites')

  await a!.client.revokeInvite(g.id, invite.code)
  t.equal(await codeOf(c!.client.previewInvite(invite.code)), 'NOT_FOUND', 'revoked: no preview')
  t.equal(await codeOf(c!.client.joinInvite(invite.code)), 'NOT_FOUND', 'revoked: no join')
  t.equal(await codeOf(c!.client.previewInvite('nope')), 'NOT_FOUND', 'a malformed code')

  const once = await a!.client.createInvite(g.id, { maxUses: 1 })
  await c!.client.joinInvite(once.code)
  const d = (await people(srv, 1))[0]!
  t.equal(await codeOf(d.client.joinInvite(once.code)), 'NOT_FOUND', 'used up')
})

t.test('invite links: list without codes, revoke by id; bans: list and unban (owner and admins)', async (t) => {
  const srv = await server(t)
  const [a, b, c] = await people(srv, 3)
  const g = await a!.client.createGroup('club', [b!.user.id])
  const one = await a!.client.createInvite(g.id, { maxUses: 2 })
  const two = await a!.client.createInvite(g.id)
  const links = await a!.client.invites(g.id)
  t.same(links.map((l) => [l.id, l.createdBy, l.uses, l.maxUses]), [[two.id, a!.user.id, 0, null], [one.id, a!.user.id, 0, 2]])
  t.notOk(JSON.stringify(links).includes(one.code), 'no code in the list')
  t.equal(await codeOf(b!.client.invites(g.id)), 'FORBIDDEN', 'a plain member does not list invites')
  await a!.client.revokeInvite(g.id, one.id)
  t.equal(await codeOf(c!.client.joinInvite(one.code)), 'NOT_FOUND', 'revoked by id')
  t.same((await a!.client.invites(g.id)).map((l) => l.id), [two.id])

  const ch = await a!.client.createChannel(`banned ${randomUUID().slice(0, 6)}`)
  await c!.client.joinChannel(ch.id)
  await a!.client.removeGroupMember(ch.id, c!.user.id)
  t.equal(await codeOf(c!.client.joinChannel(ch.id)), 'FORBIDDEN', 'removed from a channel: banned')
  const bans = await a!.client.bans(ch.id)
  t.same(bans.map((x) => [x.user.id, x.user.username, x.bannedBy]), [[c!.user.id, c!.user.username, a!.user.id]])
  t.equal(await codeOf(c!.client.bans(ch.id)), 'NOT_FOUND', 'the banned user does not see the list')
  t.equal(await codeOf(a!.client.unban(ch.id, b!.user.id)), 'NOT_FOUND', 'not banned')
  await a!.client.unban(ch.id, c!.user.id)
  t.same(await a!.client.bans(ch.id), [])
  t.equal((await c!.client.joinChannel(ch.id)).id, ch.id, 'unbanned: joins again')
  await c!.client.leaveChannel(ch.id)
  await a!.client.ban(ch.id, c!.user.id)
  t.equal(await codeOf(c!.client.joinChannel(ch.id)), 'FORBIDDEN', 'banned after leaving')
  t.equal(await codeOf(b!.client.ban(ch.id, c!.user.id)), 'NOT_FOUND', 'a non-member bans nobody')
})

t.test('channels: create, search with a cursor, read before joining, join, leave', async (t) => {
  const srv = await server(t)
  const [a, b] = await people(srv, 2)
  const tag = randomUUID().slice(0, 6)
  const made: Conversation[] = []
  for (const n of ['alpha', 'beta', 'gamma']) made.push(await a!.client.createChannel(`${n}-${tag}`, n === 'alpha' ? 'first' : undefined))
  t.match(made[0], { type: 'channel', name: `alpha-${tag}`, topic: 'first' })
  await a!.client.postMessage(made[0]!.id, { clientMsgId: randomUUID(), type: 'text', content: 'welcome' })

  const first = await b!.client.channels({ q: tag, limit: 2 })
  t.equal(first.channels.length, 2)
  t.type(first.nextCursor, 'string', 'a cursor for the rest')
  const rest = await b!.client.channels({ q: tag, limit: 2, cursor: first.nextCursor })
  t.same([...first.channels, ...rest.channels].map((c) => c.name).sort(), made.map((c) => c.name).sort(), 'every channel once')
  t.equal(rest.nextCursor, undefined, 'the last page')
  t.same((await b!.client.channels({ q: `nothing-${tag}` })).channels, [])

  const before = await b!.client.history(made[0]!.id)
  t.ok(before.messages.some((m) => m.content === 'welcome'), 'history before joining')
  t.equal(await codeOf(b!.client.postMessage(made[0]!.id, { clientMsgId: randomUUID(), type: 'text', content: 'hi' })), 'FORBIDDEN', 'no sending before joining')
  const joined = await b!.client.joinChannel(made[0]!.id)
  t.equal(joined.id, made[0]!.id)
  const [top] = (await b!.client.channels({ q: tag })).channels
  t.match(top, { id: made[0]!.id, memberCount: 2 }, 'most members first')
  await b!.client.postMessage(made[0]!.id, { clientMsgId: randomUUID(), type: 'text', content: 'hi' })
  t.ok(['CONFLICT', undefined].includes(await codeOf(b!.client.joinChannel(made[0]!.id))), 'joining twice: a conflict or a no-op')
  await b!.client.leaveChannel(made[0]!.id)
  t.notOk((await b!.client.conversations()).some((c) => c.id === made[0]!.id), 'left')
  t.equal(await codeOf(b!.client.createChannel('')), 'VALIDATION', 'an empty name')
  const g = await a!.client.createGroup('private', [])
  t.ok(['NOT_FOUND', 'FORBIDDEN', 'VALIDATION'].includes((await codeOf(b!.client.joinChannel(g.id)))!), 'a private group is no channel')
})

t.test('retention: the owner sets the policy, a member may not, and history says where it starts', async (t) => {
  const srv = await server(t)
  const [a, b] = await people(srv, 2)
  const group = await a!.client.createGroup('kept', [b!.user.id])
  const set = await a!.client.setRetention(group.id, 30)
  t.equal(set.retentionDays, 30, 'the view carries the policy')
  t.equal(set.historyStartsAt, 0, 'and where history starts (nothing purged)')
  t.equal(await codeOf(b!.client.setRetention(group.id, 10)), 'FORBIDDEN', 'a member may not')
  t.equal(await codeOf(a!.client.setRetention(group.id, 0)), 'VALIDATION', 'out of bounds')
  t.equal((await a!.client.setRetention(group.id, null)).retentionDays, null, 'null: the server\'s default')
  const page = await b!.client.history(group.id, { limit: 10 })
  t.equal(page.historyStartsAt, 0, 'history pages say where history starts')
})
