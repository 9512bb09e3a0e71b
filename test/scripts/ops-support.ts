/**
 * What the operations tests (backup, restore, move to PostgreSQL) seed on a running server and
 * check on the server started from the copy: users (they log in), a group's membership, a
 * receipt, a reaction, an upload's bytes, and a refresh token (sessions survive).
 */
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { api, group, history, users, ROOT, type User } from '../faults/support.js'
import { tempDir } from '../helper.js'
import { copyPreparedPgliteDir } from '../prepared-databases.js'

const run = promisify(execFile)
const ADMIN = join(ROOT, 'scripts', 'admin.mjs')
const PASSWORD = 'correct horse battery'

/**
 * A new embedded store for the CLI to open: a copy of the migrated data directory
 * (test/prepared-databases.ts) instead of initdb and the migration chain in this process
 * (4.4 s of CPU each).
 */
export async function migratedPgliteDir (t: Test): Promise<string> {
  return await copyPreparedPgliteDir(join(tempDir(t), 'pglite'))
}

/** `npm run admin -- …` as its own process with exactly `env` (and PATH). */
export async function admin (env: Record<string, string>, ...args: string[]): Promise<{ code: number, out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ADMIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 16 * 1024 * 1024 })
    return { code: 0, out: stdout + stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, out: e.stdout + e.stderr }
  }
}

/**
 * The server's environment for these tests: JWT_SECRET unset, so the server generates it
 * into DATA_DIR (development mode), as the secret a backup and a move must carry.
 */
export const generatedSecretEnv = (dataDir: string): Record<string, string> => ({ DATA_DIR: dataDir, NODE_ENV: 'development', JWT_SECRET: '' })

export interface Seeded {
  a: User
  b: User
  conversationId: string
  first: { id: string, seq: number }
  upload: { url: string, bytes: string }
}

export async function seed (url: string): Promise<Seeded> {
  const [a, b] = await users(url, 2) as [User, User]
  const conversationId = await group(url, a, [b])
  const sent = await api(url, 'POST', `/api/conversations/${conversationId}/messages`, a.accessToken, { clientMsgId: randomUUID(), type: 'text', content: 'before everything' })
  if (sent.status !== 201) throw new Error(`send: ${sent.status}`)
  const first = { id: sent.body.id as string, seq: sent.body.seq as number }
  const reacted = await api(url, 'PUT', `/api/conversations/${conversationId}/messages/${first.id}/reactions/${encodeURIComponent('👍')}`, b.accessToken)
  if (reacted.status !== 200) throw new Error(`react: ${reacted.status}`)
  const read = await api(url, 'POST', `/api/conversations/${conversationId}/read`, b.accessToken, { seq: first.seq })
  if (read.status !== 200) throw new Error(`read: ${read.status}`)
  const bytes = `backed up ${randomUUID()}\n`
  const form = new FormData()
  form.append('file', new Blob([bytes], { type: 'text/plain' }), 'note.txt')
  const up = await fetch(`${url}/api/uploads`, { method: 'POST', headers: { authorization: `Bearer ${a.accessToken}` }, body: form })
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`)
  const upload = { url: ((await up.json()) as { url: string }).url, bytes }
  return { a, b, conversationId, first, upload }
}

/** Everything `seed` made is there on the server at `url`, and the old tokens still work. */
export async function checkSeeded (t: Test, url: string, s: Seeded): Promise<void> {
  const messages = await history(url, s.a, s.conversationId)
  const first = messages.find((m) => m.id === s.first.id)
  t.same(first?.reactions.map((r) => [r.emoji, r.userIds]), [['👍', [s.b.id]]], 'the reaction is there (and the old access token is accepted)')
  const conv = await api(url, 'GET', `/api/conversations/${s.conversationId}`, s.b.accessToken)
  t.equal(conv.status, 200, 'the membership is there')
  t.ok((conv.body.readSeq as number) >= s.first.seq, 'the receipt is there')
  const file = await fetch(url + s.upload.url, { headers: { authorization: `Bearer ${s.a.accessToken}` } })
  t.equal(file.status, 200, 'the upload is served')
  t.equal(await file.text(), s.upload.bytes, 'with its bytes')
  const login = await api(url, 'POST', '/api/auth/login', undefined, { username: s.b.username, password: PASSWORD })
  t.equal(login.status, 200, 'the user logs in with their password')
  const refreshed = await api(url, 'POST', '/api/auth/refresh', undefined, { refreshToken: s.a.refreshToken })
  t.equal(refreshed.status, 200, 'the refresh token is still valid')
}
