import type { Conversation, Message, Reaction } from '@relay-im/client'
import { h } from '../dom.js'
import { t } from '../i18n/index.js'
import { menuButton } from './menu-position.js'

/** The reaction picker's choices (any single emoji is valid on the wire; these are one tap). */
export const QUICK_EMOJIS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const

/** The quoted message above a reply, from the snapshot the reply carries. */
export function replyQuote (m: Message, nameOf: (userId: string) => string, onClick: (seq: number) => void): HTMLElement | null {
  const q = m.replyTo
  if (q === null || q === undefined) return null
  return h('button', { type: 'button', class: 'quote', testid: 'reply-quote', 'data-reply-to': q.id, onclick: () => { onClick(q.seq) } },
    h('span', { class: 'quote-name' }, nameOf(q.senderId)),
    h('span', { class: 'quote-text' }, q.recalled ? t('chat.recalled') : q.preview))
}

export function forwardedLabel (m: Message): HTMLElement | null {
  if (m.forwardedFrom === null || m.forwardedFrom === undefined) return null
  return h('span', { class: 'forwarded', testid: 'forwarded-from' }, t('chat.forwardedFrom', { name: m.forwardedFrom.senderName }))
}

/** Reaction chips with counts; mine are marked and a click toggles mine. */
export function reactionChips (reactions: Reaction[], me: string, toggle: (emoji: string, mine: boolean) => void): HTMLElement | null {
  if (reactions.length === 0) return null
  return h('div', { class: 'reactions', testid: 'reactions' },
    ...reactions.map((r) => {
      const mine = r.userIds.includes(me)
      return h('button', {
        type: 'button',
        class: `chip ${mine ? 'mine' : ''}`,
        testid: 'reaction',
        'data-emoji': r.emoji,
        'data-count': r.count,
        'aria-pressed': String(mine),
        onclick: () => { toggle(r.emoji, mine) }
      }, `${r.emoji} ${r.count}`)
    }))
}

/** Whether `m` mentions the user (by id, or "all" from someone else). */
export function mentionsMe (m: Message, me: string): boolean {
  return m.senderId !== me && (m.mentions ?? []).some((id) => id === me || id === 'all')
}

export interface MenuActions {
  reply: () => void
  react: (emoji: string) => void
  edit?: () => void
  forward: () => void
  pin?: () => void
  deleteForMe: () => void
}

/** The "⋯" menu of a message: a small popover with the emoji picker on top. */
export function messageMenu (m: Message, actions: MenuActions): HTMLElement {
  const pop = h('div', { class: 'menu-pop', testid: 'message-menu-pop', hidden: true },
    h('div', { class: 'emoji-row', testid: 'emoji-picker' },
      ...QUICK_EMOJIS.map((e) => h('button', { type: 'button', class: 'emoji', testid: 'emoji-option', 'data-emoji': e, onclick: () => { close(); actions.react(e) } }, e))),
    item('action-reply', t('menu.reply'), actions.reply),
    actions.edit !== undefined ? item('action-edit', t('menu.edit'), actions.edit) : null,
    item('action-forward', t('menu.forward'), actions.forward),
    actions.pin !== undefined ? item('action-pin', m.pinnedAt !== null && m.pinnedAt !== undefined ? t('menu.unpin') : t('menu.pin'), actions.pin) : null,
    item('action-delete-for-me', t('menu.deleteForMe'), actions.deleteForMe))
  const button = menuButton(pop, { class: 'menu-btn', testid: 'message-menu', label: t('menu.actions') })
  function close (): void { pop.hidden = true }
  function item (testid: string, label: string, fn: () => void): HTMLElement {
    return h('button', { type: 'button', class: 'menu-item', testid, onclick: () => { close(); fn() } }, label)
  }
  return h('span', { class: 'menu' }, button, pop)
}

/** A dialog listing the other conversations to forward a message to. */
export function forwardDialog (targets: Conversation[], titleOf: (c: Conversation) => string, choose: (c: Conversation) => void, cancel: () => void): HTMLElement {
  return h('div', { class: 'overlay', testid: 'forward-dialog', role: 'dialog', 'aria-label': t('forward.title') },
    h('div', { class: 'dialog' },
      h('h2', {}, t('forward.title')),
      targets.length === 0 ? h('p', { class: 'muted' }, t('forward.none')) : null,
      ...targets.map((c) => h('button', { type: 'button', class: 'menu-item', testid: 'forward-target', 'data-conversation-id': c.id, onclick: () => { choose(c) } }, titleOf(c))),
      h('button', { type: 'button', class: 'link', testid: 'forward-cancel', onclick: cancel }, t('forward.cancel'))))
}
