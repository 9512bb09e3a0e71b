import type { Client } from '@relay-im/client'
import { replace } from './dom.js'
import { disablePush } from './push.js'
import { logout, resume } from './session.js'
import { Store } from './store.js'
import { followServerInfo } from './server-info.js'
import { authView } from './views/auth.js'
import { shell } from './views/shell.js'

const root = document.getElementById('app')!

function showAuth (): void {
  replace(root, authView((client) => { void start(client) }))
}

/** Signed in: load the lists, go online, render; follow the network going and coming. */
async function start (client: Client): Promise<void> {
  const me = client.user ?? await client.me()
  const store = new Store(client, me)
  followServerInfo(client, (seconds) => { store.recallWindowS = seconds })
  await store.load()
  const goOffline = (): void => { client.disconnect() }
  const goOnline = (): void => { client.connect().catch(() => {}) }
  // Chromium keeps a WebSocket "open" through a network loss for a long time: act on the
  // browser's own online/offline events instead of waiting for heartbeats to time out.
  window.addEventListener('offline', goOffline)
  window.addEventListener('online', goOnline)
  const end = async (): Promise<void> => {
    window.removeEventListener('offline', goOffline)
    window.removeEventListener('online', goOnline)
    // Pushes for this account must not reach whoever uses this browser next.
    await disablePush(client, me).catch(() => {})
    await logout(client)
    showAuth()
  }
  client.on('error', (err) => {
    // The SDK gave up on the session (refresh token revoked or expired): sign in again.
    if ((err as { code?: string }).code === 'UNAUTHORIZED') void end()
  })
  replace(root, shell(store, () => { void end() }))
  if (navigator.onLine) goOnline()
}

async function boot (): Promise<void> {
  let client: Client | undefined
  try {
    client = await resume()
  } catch {}
  if (client === undefined) showAuth()
  else await start(client)
}

void boot()
