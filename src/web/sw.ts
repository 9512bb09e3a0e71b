/**
 * The page's service worker (built into dist/web/sw.js, served at /sw.js so its scope is the
 * whole page). It only shows pushes: no caching, no fetch handler.
 *
 * A push carries `{conversationId, messageId, seq, sender: {id, displayName}, preview, unread}`
 * (contract section 4). It becomes a notification titled with the sender's name, with the
 * preview as its body ("New message" in the browser's language when the server sends none), tagged per conversation so
 * a newer one replaces the older, and the conversation id as its data. A click focuses an open
 * page and tells it to open that conversation, or opens the page at `/#c=<id>`.
 *
 * tsconfig has the DOM library, not WebWorker (they cannot be mixed): the few worker types
 * used here are declared below.
 */
import type { PushPayload } from '@relay-im/client'
import { OPEN_MESSAGE, type OpenMessage } from './sw-messages.js'
import { SW_TEXT } from './i18n/sw-text.js'
import { pickLang } from './i18n/pick.js'

interface ExtendableEvent extends Event { waitUntil: (p: Promise<unknown>) => void }
interface PushEvent extends ExtendableEvent { data: { json: () => unknown, text: () => string } | null }
interface NotificationEvent extends ExtendableEvent { notification: Notification, action: string }
interface WindowClient { url: string, focused: boolean, focus: () => Promise<WindowClient>, postMessage: (m: unknown) => void }
interface Clients {
  matchAll: (opts: { type: 'window', includeUncontrolled: boolean }) => Promise<WindowClient[]>
  openWindow: (url: string) => Promise<WindowClient | null>
  claim: () => Promise<void>
}
interface WorkerScope {
  registration: ServiceWorkerRegistration
  clients: Clients
  location: Location
  skipWaiting: () => Promise<void>
  addEventListener: ((type: 'push', fn: (e: PushEvent) => void) => void) &
  ((type: 'notificationclick', fn: (e: NotificationEvent) => void) => void) &
  ((type: 'install' | 'activate', fn: (e: ExtendableEvent) => void) => void)
  /** For tests and the click handler: opens (or focuses) the page at a conversation. */
  relayOpenConversation?: (conversationId: string) => Promise<void>
}

const sw = self as unknown as WorkerScope

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const PREVIEW_MAX = 200
/** The catalogue's text for a push without preview (i18n/sw-text.ts), in the browser's language (a worker cannot read the page's stored choice). */
const NEW_MESSAGE = SW_TEXT.newMessage[pickLang()]

/** What the notification shows, from whatever arrived (a payload that is not ours still shows). */
function notificationFor (data: unknown): { title: string, options: NotificationOptions } {
  const p = (typeof data === 'object' && data !== null ? data : {}) as Partial<PushPayload>
  const conversationId = typeof p.conversationId === 'string' && UUID.test(p.conversationId) ? p.conversationId.toLowerCase() : undefined
  const name = typeof p.sender?.displayName === 'string' && p.sender.displayName.trim() !== '' ? p.sender.displayName : 'Relay'
  const preview = typeof p.preview === 'string' && p.preview.trim() !== '' ? p.preview : undefined
  const body = preview === undefined ? NEW_MESSAGE : preview.length > PREVIEW_MAX ? `${preview.slice(0, PREVIEW_MAX - 1)}…` : preview
  return {
    title: name,
    options: {
      body,
      tag: conversationId === undefined ? 'relay' : `conversation:${conversationId}`,
      data: { conversationId },
      // A newer message in the same conversation replaces the shown one and alerts again.
      ...({ renotify: conversationId !== undefined } as object)
    }
  }
}

async function openConversation (conversationId: string | undefined): Promise<void> {
  const url = new URL(conversationId === undefined ? '/' : `/#c=${conversationId}`, sw.location.origin).href
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const page = windows.find((w) => new URL(w.url).origin === sw.location.origin)
  if (page !== undefined) {
    // The page switches itself (no reload, the session and socket stay).
    page.postMessage({ type: OPEN_MESSAGE, conversationId } satisfies OpenMessage)
    // Focusing needs the click's user activation: outside a click it may be refused.
    await page.focus().catch(() => {})
    return
  }
  await sw.clients.openWindow(url)
}
sw.relayOpenConversation = openConversation

sw.addEventListener('install', () => { void sw.skipWaiting() })
sw.addEventListener('activate', (e) => { e.waitUntil(sw.clients.claim()) })

sw.addEventListener('push', (e) => {
  let data: unknown
  try {
    data = e.data?.json()
  } catch {
    data = undefined
  }
  const { title, options } = notificationFor(data)
  // Chromium requires a notification for every push (userVisibleOnly): always show one.
  e.waitUntil(sw.registration.showNotification(title, options))
})

sw.addEventListener('notificationclick', (e) => {
  e.notification.close()
  const { conversationId } = (e.notification.data ?? {}) as { conversationId?: string }
  e.waitUntil(openConversation(conversationId))
})
