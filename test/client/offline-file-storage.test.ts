// suite: default only — the example's file-backed storage under the SDK's offline layer; the server paths it drives run on both engines in test/modules
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@relay-im/client'
import { OfflineClient, type StorageAdapter } from '@relay-im/client/offline'
// @ts-expect-error the example is plain JavaScript without declarations
import { FileStorage } from '../../examples/offline-storage/file-storage.mjs'
import { allMessages, clientFor, group, registerUser, server, until } from './fixtures.js'

t.test('examples/offline-storage: an outbox written to a file is sent by the next process, once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-file-storage-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const path = join(dir, 'state.json')
  const srv = await server(t)
  const [a, b] = [await registerUser(srv.app), await registerUser(srv.app)]
  const g = await group(srv.app, a, [b])

  const offline1 = new OfflineClient(clientFor(t, srv, a), { storage: new FileStorage(path) as StorageAdapter })
  await offline1.start()
  await offline1.send({ conversationId: g, type: 'text', content: 'written offline' })
  await offline1.close()
  t.match(JSON.parse(readFileSync(path, 'utf8')), { outbox: [{ kind: 'send', input: { content: 'written offline' } }], tokens: { refreshToken: String } }, 'on disk')

  // The next process: a fresh storage object on the same file, a client with no tokens.
  const client = createClient({ url: srv.url, reconnect: { baseMs: 50, maxMs: 400 } })
  t.teardown(() => { client.close() })
  const offline2 = new OfflineClient(client, { storage: new FileStorage(path) as StorageAdapter })
  await offline2.start()
  await client.connect()
  await until(() => offline2.pending.length === 0, 5000, 'sent')
  await offline2.close()
  t.same((await allMessages(srv.app, a, g)).map((m) => m.content), ['written offline'])
  t.same(JSON.parse(readFileSync(path, 'utf8')).outbox, [], 'the outbox on disk is empty')
})
