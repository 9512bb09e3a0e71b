// suite: default only — the SDK's own behaviour; the server's refresh grace runs on both engines in test/modules/auth
import t, { type Test } from 'tap'
import { ClientError, type Tokens } from '@relay-im/client'
import { clientFor, expiredToken, registerUser, server, until, type Server } from './fixtures.js'

/**
 * Tokens from the app (tokenProvider) and one session shared by several "tabs": Node has
 * BroadcastChannel but no Web Locks, so the lock is a stand-in on globalThis.navigator that
 * queues callers per name the way navigator.locks.request does.
 */

/** Counts refresh calls while passing every request through. */
function countingFetch (): { fetch: typeof fetch, refreshes: () => number } {
  let refreshes = 0
  return {
    fetch: async (input, init) => {
      if (String(input).endsWith('/api/auth/refresh')) refreshes++
      return await globalThis.fetch(input, init)
    },
    refreshes: () => refreshes
  }
}

/** navigator.locks for this test: exclusive per name, in request order. */
function installLocks (t: Test): { requests: string[] } {
  const tails = new Map<string, Promise<void>>()
  const requests: string[] = []
  const locks = {
    async request<T> (name: string, callback: () => Promise<T>): Promise<T> {
      requests.push(name)
      const before = tails.get(name) ?? Promise.resolve()
      let release!: () => void
      tails.set(name, before.then(async () => await new Promise<void>((resolve) => { release = resolve })))
      await before
      try {
        return await callback()
      } finally {
        release()
      }
    }
  }
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true })
  t.teardown(() => { Reflect.deleteProperty(globalThis, 'navigator') })
  return { requests }
}

/** Two "tabs" of one stored session: both persist to, and read from, the same storage. */
function twoTabs (t: Test, srv: Server, user: Awaited<ReturnType<typeof registerUser>>, counter: ReturnType<typeof countingFetch>) {
  let stored: Tokens = { accessToken: expiredToken(srv.app, user.id), refreshToken: user.refreshToken }
  const tab = () => {
    const c = clientFor(t, srv, user, { token: stored.accessToken, refreshToken: stored.refreshToken, fetch: counter.fetch, crossTab: { readTokens: () => stored } })
    c.on('tokens', (x) => { stored = x })
    return c
  }
  return { a: tab(), b: tab(), stored: () => stored }
}

t.test('tokenProvider: the app\'s callback supplies every access token, once for concurrent needs', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const counter = countingFetch()
  let calls = 0
  const client = clientFor(t, srv, user, {
    token: expiredToken(srv.app, user.id),
    refreshToken: undefined,
    fetch: counter.fetch,
    tokenProvider: async () => { calls++; return { accessToken: srv.app.signAccessToken(user.id) } }
  })
  const results = await Promise.all(Array.from({ length: 4 }, async () => await client.me()))
  t.same(results.map((u) => u.id), Array(4).fill(user.id))
  t.equal(calls, 1, 'one call for four REST 401s')
  t.equal(counter.refreshes(), 0, 'the SDK did not refresh on its own')

  // No token at all: the provider is asked before the socket opens.
  let socketCalls = 0
  const fresh = clientFor(t, srv, user, { token: undefined, refreshToken: undefined, tokenProvider: async () => { socketCalls++; return srv.app.signAccessToken(user.id) } })
  await fresh.connect()
  t.equal(socketCalls, 1)
  t.equal(fresh.status, 'online')
})

t.test('tokenProvider failures: UNAUTHORIZED ends the session, anything else is a network error', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const refused = clientFor(t, srv, user, { token: undefined, refreshToken: undefined, tokenProvider: async () => { throw new ClientError('UNAUTHORIZED', 'signed out of the app', 401) } })
  await t.rejects(refused.connect(), { code: 'UNAUTHORIZED' })
  t.equal(refused.status, 'offline')

  const broken = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id), tokenProvider: async () => { throw new Error('backend down') } })
  await t.rejects(broken.me(), { code: 'NETWORK', message: /tokenProvider failed: backend down/ })
  const empty = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id), tokenProvider: async () => '' })
  await t.rejects(empty.me(), { code: 'UNAUTHORIZED' })
})

t.test('two tabs with one stored session and Web Locks: one refresh, the other tab takes its pair', async (t) => {
  const { requests } = installLocks(t)
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const counter = countingFetch()
  const { a, b, stored } = twoTabs(t, srv, user, counter)
  const [meA, meB] = await Promise.all([a.me(), b.me()])
  t.equal(meA.id, user.id)
  t.equal(meB.id, user.id)
  t.equal(counter.refreshes(), 1, 'the second tab re-read the stored pair under the lock instead of refreshing')
  t.ok(requests.length >= 2 && requests.every((name) => name === requests[0]), 'both took the same lock')
  t.match(requests[0], srv.url, 'named after the server')
  t.equal(a.tokens.refreshToken, b.tokens.refreshToken)
  t.equal(stored().refreshToken, a.tokens.refreshToken)
  const rotated = await srv.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: stored().refreshToken } })
  t.equal(rotated.statusCode, 200, 'the shared refresh token is the live one')
})

t.test('a stored pair of another user is not adopted', async (t) => {
  installLocks(t)
  const srv = await server(t)
  const [user, other] = [await registerUser(srv.app), await registerUser(srv.app)]
  const counter = countingFetch()
  const client = clientFor(t, srv, user, { token: expiredToken(srv.app, user.id), fetch: counter.fetch, crossTab: { readTokens: () => ({ accessToken: other.accessToken, refreshToken: other.refreshToken }) } })
  t.equal((await client.me()).id, user.id)
  t.equal(counter.refreshes(), 1, 'refreshed its own session')
  t.not(client.tokens.refreshToken, other.refreshToken)
})

t.test('BroadcastChannel: the tab holding the rotated token adopts the new pair; others do not', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const secondLogin = await srv.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user.username, password: 'correct horse battery' } })
  const a = clientFor(t, srv, user)
  const b = clientFor(t, srv, user)
  const elsewhere = clientFor(t, srv, user, { refreshToken: secondLogin.json().refreshToken })
  const isolated = clientFor(t, srv, user, { crossTab: false })
  const announced: Tokens[] = []
  b.on('tokens', (x) => announced.push(x))
  const fresh = await a.refresh()
  await until(() => b.tokens.refreshToken === fresh.refreshToken, 3000, 'the other tab adopting the pair')
  t.same(b.tokens, fresh)
  t.same(announced, [fresh], 'and announced it to its app')
  t.equal(elsewhere.tokens.refreshToken, secondLogin.json().refreshToken, 'another session keeps its own')
  t.equal(isolated.tokens.refreshToken, user.refreshToken, 'crossTab: false hears nothing')
  // The tab that adopted refreshes with the live token: no reuse, the session lives on.
  const next = await b.refresh()
  await until(() => a.tokens.refreshToken === next.refreshToken, 3000, 'the first tab adopting in turn')
  t.equal((await a.me()).id, user.id)
})

t.test('without coordination two tabs refreshing at once both stay signed in (the server\'s grace)', async (t) => {
  const srv = await server(t)
  const user = await registerUser(srv.app)
  const counter = countingFetch()
  const tab = () => clientFor(t, srv, user, { token: expiredToken(srv.app, user.id), fetch: counter.fetch, crossTab: false })
  const [a, b] = [tab(), tab()]
  const [meA, meB] = await Promise.all([a.me(), b.me()])
  t.same([meA.id, meB.id], [user.id, user.id])
  t.equal(counter.refreshes(), 2, 'each refreshed with the same token')
  t.equal(a.tokens.refreshToken, b.tokens.refreshToken, 'and got the same successor')
  t.equal((await srv.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: a.tokens.refreshToken } })).statusCode, 200)
})
