// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import type { BrowserContext } from 'playwright-core'
import { aliceAndBob, WAIT, id } from './fixtures.js'

/**
 * Two people opening the page at about the same time see each other online: presence comes
 * from the socket (its presence:snapshot at connect, then events), not from a racing HTTP read.
 * To prove it, every list read over HTTP says everyone is offline: the page must not believe it.
 * Twenty rounds, each opening both pages at once and closing them until both are offline:
 * about 60 s, as each round opens two pages and waits for the server to see both leave.
 */
t.setTimeout(180_000)

const ROUNDS = 20

t.test('two pages opened at once see each other online, twenty times', async (t) => {
  const { world, app, alice, bob } = await aliceAndBob(t)

  /** A context holding the user's session; each round opens a page in it, which resumes the session. */
  const contextOf = async (u: typeof alice): Promise<BrowserContext> => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'correct horse battery' } })
    const ctx = await world.context({ viewport: { width: 1000, height: 720 } })
    await ctx.addInitScript((value) => { if (localStorage.getItem('relay.tokens') === null) localStorage.setItem('relay.tokens', value) }, login.body)
    // HTTP reads that carry presence (the friends and conversation lists) say "offline, never seen".
    await ctx.route(/\/api\/(friends|conversations)(\?|$)/, async (route) => {
      const res = await route.fetch()
      const offline = { online: false, lastSeenAt: null }
      const list = (await res.json()) as Array<{ presence?: unknown, peer?: { presence?: unknown } }>
      await route.fulfill({ response: res, json: list.map((x) => ({ ...x, ...(x.presence === undefined ? {} : { presence: offline }), ...(x.peer === undefined ? {} : { peer: { ...x.peer, presence: offline } }) })) })
    })
    return ctx
  }
  const sides = [{ ctx: await contextOf(alice), peer: 'Bob Builder' }, { ctx: await contextOf(bob), peer: 'Alice Liddell' }]

  let wrong = 0
  for (let round = 1; round <= ROUNDS; round++) {
    const pages = await Promise.all(sides.map(async ({ ctx }) => {
      const page = await ctx.newPage()
      world.watch(page)
      await page.goto(world.url)
      return page
    }))
    const seen = await Promise.all(pages.map(async (page, i) => {
      await page.waitForSelector(`${id('conn-status')}[data-status="online"]`, { timeout: WAIT })
      const dot = page.locator(`${id('conversation')}[data-title="${sides[i]!.peer}"] ${id('presence-dot')}`)
      // Online within 3 s of its own socket being up, or it was missed.
      try {
        await page.waitForSelector(`${id('conversation')}[data-title="${sides[i]!.peer}"] ${id('presence-dot')}[data-online="true"]`, { timeout: 3000 })
        return true
      } catch {
        t.comment(`round ${round}: ${sides[i]!.peer} shown ${await dot.getAttribute('data-online') === 'true' ? 'online' : 'offline'}`)
        return false
      }
    }))
    wrong += seen.filter((ok) => !ok).length
    await Promise.all(pages.map(async (page) => { await page.close() }))
    const deadline = Date.now() + WAIT
    while (Date.now() < deadline && [...(await app.presence.status([alice.id, bob.id])).values()].some((s) => s.online)) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(wrong, 0, `each saw the other online in all ${ROUNDS} rounds`)
  t.same(world.errors, [], 'no page errors')
})
