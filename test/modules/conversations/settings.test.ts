import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build, listen } from '../../helper.js'
import { shouldNotify } from '../../../src/modules/conversations/index.js'
import { connect, makeGroup, makeUsers, settle, type User } from './helpers.js'

type App = Awaited<ReturnType<typeof build>>

const send = async (app: App, user: User, conversationId: string, content: string) => {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: user.auth, payload: { clientMsgId: randomUUID(), type: 'text', content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}
const patch = async (app: App, user: User, id: string, payload: unknown) =>
  await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/settings`, headers: user.auth, payload: payload as any })
const list = async (app: App, user: User, query = '') => {
  const res = await app.inject({ method: 'GET', url: `/api/conversations${query}`, headers: user.auth })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json() as any[]
}
const ids = (l: any[]) => l.map((c) => c.id)

t.test('shouldNotify: mute wins, then notify level, mentions only when mentioned', async (t) => {
  const now = new Date('2026-12-01T00:00:00Z')
  const later = new Date('2026-12-02T00:00:00Z')
  const earlier = new Date('2026-11-30T00:00:00Z')
  t.equal(shouldNotify({ notify: 'all', mutedUntil: null }, { mentioned: false, now }), true)
  t.equal(shouldNotify({ notify: 'mentions', mutedUntil: null }, { mentioned: false, now }), false)
  t.equal(shouldNotify({ notify: 'mentions', mutedUntil: null }, { mentioned: true, now }), true)
  t.equal(shouldNotify({ notify: 'none', mutedUntil: null }, { mentioned: true, now }), false)
  t.equal(shouldNotify({ notify: 'all', mutedUntil: later }, { mentioned: true, now }), false, 'muted: not even a mention')
  t.equal(shouldNotify({ notify: 'all', mutedUntil: earlier }, { mentioned: false, now }), true, 'a mute that ended')
  t.equal(shouldNotify({ notify: 'all', mutedUntil: later.toISOString() }, { mentioned: false, now }), false, 'ISO strings too')
})

t.test('PATCH settings: defaults, each field, served on the list and to the caller\'s devices', async (t) => {
  const { app, url } = await listen(t)
  const [me, other] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, other, [me])
  const [entry] = await list(app, me)
  t.same(entry.settings, { notify: 'all', mutedUntil: null, archived: false, pinned: false }, 'defaults')
  const socket = await connect(t, url, { accessToken: me.token })

  const until = new Date(Date.now() + 3600_000).toISOString()
  const res = await patch(app, me, g, { notify: 'mentions', mutedUntil: until, pinned: true })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { notify: 'mentions', mutedUntil: until, archived: false, pinned: true })
  await settle(100)
  t.same(socket.of('conversation:settings'), [{ conversationId: g, settings: res.json() }], 'own devices told')
  t.same((await list(app, me))[0].settings, res.json())
  t.same((await list(app, other))[0].settings, { notify: 'all', mutedUntil: null, archived: false, pinned: false }, 'per member')
  t.same((await patch(app, me, g, { mutedUntil: null })).json().mutedUntil, null, 'null unmutes')
  t.equal((await patch(app, me, g, { pinned: false })).json().pinned, false)
})

t.test('PATCH settings: bad input is VALIDATION and writes nothing; not a member is NOT_FOUND', async (t) => {
  const app = await build(t)
  const [me, other, stranger] = await makeUsers(app, 3) as [User, User, User]
  const g = await makeGroup(app, other, [me])
  const before = await app.prisma.conversationMember.findMany({ where: { conversationId: g }, orderBy: { userId: 'asc' } })
  for (const body of [
    { notify: 'some' }, { notify: null }, { mutedUntil: 'tomorrow' }, { mutedUntil: '2026-13-45T00:00:00Z' }, { mutedUntil: '2000-01-01T00:00:00Z' },
    { mutedUntil: 5 }, { archived: 'yes' }, { pinned: 1 }, {}, { notify: 'all', extra: 1 }
  ]) {
    const res = await patch(app, me, g, body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.equal(res.json().error.code, 'VALIDATION')
  }
  const res = await patch(app, stranger, g, { pinned: true })
  t.equal(res.statusCode, 404)
  t.equal(res.json().error.code, 'NOT_FOUND')
  t.same(await app.prisma.conversationMember.findMany({ where: { conversationId: g }, orderBy: { userId: 'asc' } }), before, 'nothing written')
})

t.test('pinned first (latest pin first), then by activity; paging keeps the order', async (t) => {
  const app = await build(t)
  const [me, other] = await makeUsers(app, 2) as [User, User]
  const [a, b, c, d] = [await makeGroup(app, other, [me], 'a'), await makeGroup(app, other, [me], 'b'), await makeGroup(app, other, [me], 'c'), await makeGroup(app, other, [me], 'd')]
  await send(app, other, a, '1')
  await send(app, other, b, '2')
  await send(app, other, c, '3')
  await send(app, other, d, '4')
  t.same(ids(await list(app, me)), [d, c, b, a])
  await patch(app, me, a, { pinned: true })
  await new Promise((resolve) => setTimeout(resolve, 5))
  await patch(app, me, b, { pinned: true })
  t.same(ids(await list(app, me)), [b, a, d, c])
  await send(app, other, c, '5')
  t.same(ids(await list(app, me)), [b, a, c, d], 'activity does not move a conversation above the pins')
  const pages: string[] = []
  let cursor: string | undefined
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'GET', url: `/api/conversations?limit=1${cursor === undefined ? '' : `&cursor=${cursor}`}`, headers: me.auth })
    pages.push(...ids(res.json()))
    cursor = res.headers['x-next-cursor'] as string | undefined
    if (cursor === undefined) break
  }
  t.same(pages, [b, a, c, d], 'keyset paging across pinned and not pinned')
})

t.test('archive: left out unless ?archived=true; a new message un-archives unless muted', async (t) => {
  const app = await build(t)
  const [me, other] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, other, [me])
  const h = await makeGroup(app, other, [me])
  await send(app, other, g, 'before')
  t.equal((await patch(app, me, g, { archived: true })).json().archived, true)
  t.same(ids(await list(app, me)), [h], 'archived left out')
  const all = await list(app, me, '?archived=true')
  t.same(ids(all).sort(), [g, h].sort(), '?archived=true includes them')
  t.equal(all.find((c) => c.id === g).settings.archived, true)
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${g}`, headers: me.auth })).json().settings.archived, true, 'GET one shows it')

  await send(app, other, g, 'news')
  t.same(ids(await list(app, me)), [g, h], 'a new message un-archived it')
  t.equal((await list(app, me))[0].settings.archived, false)

  // muted: messages keep it archived, and changing the mute later does not bring it back
  await patch(app, me, g, { archived: true, mutedUntil: new Date(Date.now() + 3600_000).toISOString() })
  await send(app, other, g, 'while muted')
  t.same(ids(await list(app, me)), [h], 'muted: still archived')
  await patch(app, me, g, { notify: 'none', mutedUntil: null })
  await send(app, other, g, 'notify none')
  t.same(ids(await list(app, me)), [h], 'notify none counts as muted')
  await patch(app, me, g, { notify: 'all' })
  t.same(ids(await list(app, me)), [h], 'messages from the muted time do not un-archive it later')
  await send(app, other, g, 'now loud')
  t.same(ids(await list(app, me)), [g, h])

  // un-archived by a message, then muted: stays un-archived (written down by the patch)
  await patch(app, me, g, { mutedUntil: new Date(Date.now() + 3600_000).toISOString() })
  t.same(ids(await list(app, me)), [g, h], 'muting after the un-archive keeps it listed')
  t.equal((await patch(app, me, g, { archived: false })).json().archived, false)
})

t.test('unread and unreadMentions stay on the list entries', async (t) => {
  const app = await build(t)
  const [me, other] = await makeUsers(app, 2) as [User, User]
  const g = await makeGroup(app, other, [me])
  await app.inject({ method: 'POST', url: `/api/conversations/${g}/messages`, headers: other.auth, payload: { clientMsgId: randomUUID(), type: 'text', content: 'hey', mentions: [me.id] } })
  await patch(app, me, g, { pinned: true })
  t.match((await list(app, me))[0], { unread: 1, unreadMentions: 1, settings: { pinned: true } })
})
