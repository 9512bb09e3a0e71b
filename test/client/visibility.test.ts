// suite: default only — the SDK's own behaviour; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { befriend, registerUser } from '../helper.js'
import { clientFor, next, server } from './fixtures.js'

t.test('fileUrl: a signed URL for this user (no token in it), cached; it loads without a header; other URLs pass through', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  await befriend(srv.app, a, b)
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  await ca.connect()
  const content = await ca.upload(new Blob(['hello from the SDK'], { type: 'text/plain' }), 'hello.txt')
  await ca.send({ toUserId: b.id, type: 'file', content })

  const url = await cb.fileUrl(content.url)
  t.match(url, new RegExp(`^${srv.url}/api/uploads/[0-9a-f-]{36}\\?user=${b.id}&expires=[0-9]+&sig=`))
  t.notOk(url.includes('token') || url.includes(b.accessToken), 'no access token in the URL')
  const res = await fetch(url)
  t.equal(res.status, 200)
  t.equal(await res.text(), 'hello from the SDK')
  t.equal(await cb.fileUrl(content.url), url, 'the same URL while it is fresh (no request)')

  const id = content.url.split('/').pop()!
  const link = await cb.fileLink(id)
  t.match(link, { url: /\?user=/, expiresAt: /^\d{4}-\d{2}-\d{2}T/ })
  t.ok(Date.parse(link.expiresAt) > Date.now())
  t.equal(await cb.fileUrl('https://example.com/cat.png'), 'https://example.com/cat.png', 'not an upload: as it is')

  const stranger = clientFor(t, srv, await registerUser(srv.app))
  await t.rejects(stranger.fileUrl(content.url), { code: 'NOT_FOUND' }, 'no URL for a file one may not see')
  t.equal((await fetch(url.replace(`user=${b.id}`, `user=${a.id}`))).status, 401, 'a URL for b is no good as a\'s')
})

t.test('setPresenceVisibility: friends are told, getUser shows it hidden', async (t) => {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  await befriend(srv.app, a, b)
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  await cb.connect()
  await ca.connect()
  t.match((await cb.getUser(a.id)).presence, { online: true })
  const told = next(cb, 'presence', (p) => p.userId === a.id && p.hidden === true)
  const me = await ca.setPresenceVisibility('nobody')
  t.equal(me.presenceVisibility, 'nobody')
  t.same(await told, { userId: a.id, online: false, lastSeenAt: null, hidden: true })
  t.same((await cb.getUser(a.id)).presence, { online: false, lastSeenAt: null, hidden: true })
  t.equal((await ca.me()).presenceVisibility, 'nobody')
  await t.rejects(ca.setPresenceVisibility('friends' as any), { code: 'VALIDATION' })
})
