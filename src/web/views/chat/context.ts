import type { Conversation } from '@relay-im/client'
import { h } from '../../dom.js'
import type { Store } from '../../store.js'
import { errorText, t, type Key } from '../../i18n/index.js'

/** What every part of one open conversation shares: read-only lookups and error reporting. */
export interface ChatContext {
  store: Store
  client: Store['client']
  me: Store['me']
  conversationId: string
  conversation: () => Conversation | undefined
  /** "You" for the reader, else the member's name (or a known name of a former member). */
  nameOf: (userId: string) => string
  /** In groups only the owner and admins pin; in direct conversations both members. */
  canPin: () => boolean
  showError: (message: string) => void
  /** Runs an action whose result arrives as an event, so only its error matters here. */
  act: (p: Promise<unknown>, what: Key) => Promise<void>
}

const TOAST_MS = 4000

/** The context of one conversation, and the toast its errors show in. */
export function chatContext (store: Store, conversationId: string): { ctx: ChatContext, toast: HTMLElement } {
  const { client, me } = store
  const toast = h('div', { class: 'toast', role: 'alert', hidden: true })
  const conversation = (): Conversation | undefined => store.conversations.get(conversationId)
  const showError = (message: string): void => {
    toast.textContent = message
    toast.hidden = false
    setTimeout(() => { toast.hidden = true }, TOAST_MS)
  }
  const ctx: ChatContext = {
    store,
    client,
    me,
    conversationId,
    conversation,
    nameOf: (userId) => userId === me.id ? t('name.you') : conversation()?.members.find((u) => u.id === userId)?.displayName ?? store.nameOf(userId),
    canPin: () => {
      const c = conversation()
      if (c === undefined) return false
      if (c.type === 'direct') return true
      const role = c.members.find((u) => u.id === me.id)?.role
      return role === 'owner' || role === 'admin'
    },
    showError,
    act: async (p, what) => {
      try {
        await p
      } catch (err) {
        showError(t('chat.couldNot', { what: t(what), reason: errorText(err) }))
      }
    }
  }
  return { ctx, toast }
}
