import type { Client } from '@relay-im/client'
import { replace } from './dom.js'
import { disablePush } from './push.js'
import { finishOidc, isSecondStep, logout, resume } from './session.js'
import { oidcErrorText, takeOidcReturn } from './oidc-return.js'
import { oidcNotice } from './views/oidc.js'
import { Store } from './store.js'
import { followServerInfo } from './server-info.js'
import { authView } from './views/auth.js'
import { shell } from './views/shell.js'

const root = document.getElementById('app')!

function showAuth (opts: Parameters<typeof authView>[1] = {}): void {
  replace(root, authView((client) => { void start(client) }, opts))
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
  // Back from an OpenID Connect provider: a one-time code to exchange, or what went wrong.
  const back = takeOidcReturn()
  if (back !== undefined && 'code' in back) {
    try {
      const result = await finishOidc(back.code)
      if (isSecondStep(result)) showAuth({ step: result })
      else await start(result)
    } catch (err) {
      showAuth({ error: oidcErrorText((err as { code?: string }).code ?? '') })
    }
    return
  }
  const notice = back === undefined ? undefined : 'linked' in back ? oidcNotice(`✓ ${back.linked}`) : oidcNotice(oidcErrorText(back.reason))
  if (back !== undefined && 'reason' in back) notice?.setAttribute('data-error', 'true')
  let client: Client | undefined
  try {
    client = await resume()
  } catch {}
  if (client === undefined) showAuth(back !== undefined && 'reason' in back ? { error: oidcErrorText(back.reason) } : {})
  else {
    await start(client)
    if (notice !== undefined) document.body.append(notice)
  }
}

void boot()
