import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { listen, registerUser, type TestUser } from '../helper.js'
import type { App } from '../../src/app.js'
import type { RawConfig } from '../../src/config.js'
import { createClient, type Client, type ClientEvents, type ClientOptions } from '@relay-im/client'

export interface Server { app: App, url: string }

export async function server (t: Test, overrides: Partial<RawConfig> = {}): Promise<Server> {
  return await listen(t, overrides)
}

/** A client signed in as `user`, with fast reconnects; closed in teardown. */
export function clientFor (t: Test, srv: Server, user: TestUser, opts: Partial<ClientOptions> = {}): Client {
  const client = createClient({
    url: srv.url,
    token: user.accessToken,
    refreshToken: user.refreshToken,
    reconnect: { baseMs: 50, maxMs: 400 },
    ...opts
  })
  t.teardown(() => { client.close() })
  return client
}

/** A server, two users in a group, and a connected client for each. */
export async function groupOfTwo (t: Test): Promise<{ srv: Server, a: TestUser, b: TestUser, g: string, ca: Client, cb: Client }> {
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, a, [b])
  const ca = clientFor(t, srv, a)
  const cb = clientFor(t, srv, b)
  await Promise.all([ca.connect(), cb.connect()])
  return { srv, a, b, g, ca, cb }
}

/** Resolves with the next `event` that passes `filter`; rejects after timeoutMs. */
export function next<E extends keyof ClientEvents> (client: Client, event: E, filter: (p: ClientEvents[E]) => boolean = () => true, timeoutMs = 15_000): Promise<ClientEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)) }, timeoutMs)
    const off = client.on(event, (p) => {
      if (!filter(p)) return
      clearTimeout(timer)
      off()
      resolve(p)
    })
  })
}

/** Polls until `cond` holds; rejects after timeoutMs. */
export async function until (cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`)
    await delay(10)
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A group of `owner` and `members` through the real route; returns its id. */
export async function group (app: App, owner: TestUser, members: TestUser[]): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/groups', headers: owner.auth, payload: { name: 'g', memberIds: members.map((m) => m.id) } })
  if (res.statusCode !== 201) throw new Error(`group failed: ${res.statusCode} ${res.body}`)
  return res.json().id
}

/** Every message of a conversation, oldest first, read through REST as `user`. */
export async function allMessages (app: App, user: TestUser, conversationId: string): Promise<Array<{ seq: number, clientMsgId: string, content: unknown, senderId: string }>> {
  const out: Array<{ seq: number, clientMsgId: string, content: unknown, senderId: string }> = []
  let after = 0
  for (;;) {
    const res = await app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages?after=${after}&limit=100`, headers: user.auth })
    if (res.statusCode !== 200) throw new Error(`history failed: ${res.statusCode} ${res.body}`)
    const page = res.json()
    out.push(...page.messages)
    if (!page.hasMore || page.messages.length === 0) return out
    after = page.messages[page.messages.length - 1].seq
  }
}

/** An access token for `user` that expired a minute ago. */
export function expiredToken (app: App, userId: string): string {
  return app.jwt.sign({ sub: userId, typ: 'access' }, { expiresIn: -60 } as any)
}

export { registerUser }

/**
 * Builds packages/client/dist when missing: plain node (the example app, an installed
 * tarball) loads the package's dist, which the root install and pretest build.
 */
export function ensureClientDist (): void {
  const pkg = join(import.meta.dirname, '..', '..', 'packages', 'client')
  if (existsSync(join(pkg, 'dist', 'index.js')) && existsSync(join(pkg, 'dist', 'protocol.d.ts'))) return
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(pkg, 'tsconfig.json')], { stdio: 'pipe' })
}
