import { ClientError, type Client, type User } from '@relay-im/client'
import { OPEN_MESSAGE, type OpenMessage } from './sw-messages.js'
import { t } from './i18n/index.js'

/**
 * Web Push on this browser: the service worker (/sw.js), the permission, the browser's push
 * subscription and its record on the server (`POST /api/push/subscriptions`). The record's id
 * is kept per user in localStorage so turning notifications off (or signing out) removes it.
 */

export type PushState =
  | { on: true }
  | { on: false, reason?: string }

interface Saved { id: string, endpoint: string }

const SW_URL = '/sw.js'
const key = (user: User): string => `relay.push.${user.id}`

function saved (user: User): Saved | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(key(user)) ?? 'null') as Partial<Saved> | null
    if (typeof s?.id === 'string' && typeof s.endpoint === 'string') return s as Saved
  } catch {}
  return undefined
}

/** Why this browser cannot do push at all, or undefined when it can. */
export function pushUnsupported (): string | undefined {
  if (!window.isSecureContext) return t('push.insecure')
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return t('push.unsupported')
  return undefined
}

async function registration (): Promise<ServiceWorkerRegistration | undefined> {
  return await navigator.serviceWorker.getRegistration('/')
}

/** Whether this browser is subscribed for this user right now. */
export async function pushState (user: User): Promise<PushState> {
  const unsupported = pushUnsupported()
  if (unsupported !== undefined) return { on: false, reason: unsupported }
  if (Notification.permission !== 'granted') return { on: false }
  const sub = await (await registration())?.pushManager.getSubscription()
  const mine = saved(user)
  return sub != null && mine !== undefined && mine.endpoint === sub.endpoint ? { on: true } : { on: false }
}

/** A base64url string as bytes (the VAPID key for `applicationServerKey`). */
function base64UrlBytes (s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4)
  const bin = atob(b64)
  const out = new Uint8Array(new ArrayBuffer(bin.length))
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

const reasonOf = (err: unknown): string => err instanceof Error ? err.message : String(err)

/**
 * Turns notifications on: registers the service worker, asks for permission, subscribes with
 * the server's VAPID key and records the subscription on the server. Throws an Error whose
 * message says what failed, in words for the person using the page.
 */
export async function enablePush (client: Client, user: User): Promise<void> {
  const unsupported = pushUnsupported()
  if (unsupported !== undefined) throw new Error(unsupported)
  let reg: ServiceWorkerRegistration
  try {
    await navigator.serviceWorker.register(SW_URL, { scope: '/' })
    reg = await navigator.serviceWorker.ready
  } catch (err) {
    throw new Error(t('push.worker', { reason: reasonOf(err) }))
  }
  const permission = await Notification.requestPermission()
  if (permission !== 'granted') throw new Error(t('push.blocked'))
  let publicKey: string
  try {
    publicKey = await client.getVapidPublicKey()
  } catch (err) {
    throw new Error(t('push.noServer', { reason: reasonOf(err) }))
  }
  // A subscription left by someone else on this browser (or with an old key) is replaced.
  const old = await reg.pushManager.getSubscription()
  if (old !== null && saved(user)?.endpoint !== old.endpoint) await old.unsubscribe().catch(() => false)
  let sub: PushSubscription
  try {
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlBytes(publicKey) })
  } catch (err) {
    throw new Error(t('push.subscribe', { reason: reasonOf(err) }))
  }
  try {
    const { id } = await client.subscribePush(sub.toJSON())
    localStorage.setItem(key(user), JSON.stringify({ id, endpoint: sub.endpoint } satisfies Saved))
  } catch (err) {
    await sub.unsubscribe().catch(() => false)
    throw new Error(t('push.refused', { reason: reasonOf(err) }))
  }
}

/** Turns notifications off here: the server record first (while signed in), then the browser's. */
export async function disablePush (client: Client, user: User): Promise<void> {
  const mine = saved(user)
  localStorage.removeItem(key(user))
  if (mine !== undefined) {
    try {
      await client.deletePushSubscription(mine.id)
    } catch (err) {
      // Already gone (the server drops subscriptions the push service refused) is fine.
      if (!(err instanceof ClientError && err.code === 'NOT_FOUND')) throw err
    }
  }
  if (pushUnsupported() !== undefined) return
  const sub = await (await registration())?.pushManager.getSubscription()
  if (sub != null && (mine === undefined || sub.endpoint === mine.endpoint)) await sub.unsubscribe().catch(() => false)
}

/** Calls `open` when a notification click asks this page to show a conversation. */
export function onOpenFromNotification (open: (conversationId: string | undefined) => void): () => void {
  if (!('serviceWorker' in navigator)) return () => {}
  const listener = (e: MessageEvent): void => {
    const m = e.data as Partial<OpenMessage> | null
    if (m?.type === OPEN_MESSAGE) open(typeof m.conversationId === 'string' ? m.conversationId : undefined)
  }
  navigator.serviceWorker.addEventListener('message', listener)
  navigator.serviceWorker.startMessages()
  return () => { navigator.serviceWorker.removeEventListener('message', listener) }
}
