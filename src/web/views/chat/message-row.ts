import type { Message } from '@relay-im/client'
import { h } from '../../dom.js'
import { dateTimeOf, timeOf } from '../../i18n/dates.js'
import { t } from '../../i18n/index.js'
import { isRecalled, kindOf, type KindContext } from '../kinds.js'
import { forwardedLabel, mentionsMe, messageMenu, reactionChips, replyQuote } from '../message-parts.js'
import type { ChatContext } from './context.js'
import { confirmDialog } from '../confirm.js'
import { linkPreviewCard } from './link-preview.js'
import { errorText } from '../../i18n/index.js'
import { threadLink } from './thread-link.js'

export const TICKS = { pending: '…', failed: '!', sent: '✓', delivered: '✓✓', read: '✓✓' } as const

/** What a row's buttons do beyond calling the server. */
export interface RowActions {
  reply: (m: Message) => void
  edit: (m: Message) => void
  forward: (m: Message) => void
  /** Scrolls to a shown message (a reply's quote). */
  scrollTo: (seq: number) => void
  onMediaLoad: () => void
  /** Opens the thread a message roots (thread-panel.ts). */
  openThread: (root: Message) => void
}

/** The delivery ticks of one of my messages. */
export function ticks (ctx: ChatContext, m: Message): HTMLElement {
  const state = ctx.store.tickState(ctx.conversationId, m.seq)
  return h('span', { class: `ticks ${state}`, testid: 'ticks', 'data-state': state, title: t(`ticks.${state}`) }, TICKS[state])
}

/** The content of a row: the kind's own rendering, or the recalled notice. */
export function rowContent (ctx: ChatContext, m: Message, onMediaLoad: () => void): HTMLElement {
  if (isRecalled(m)) return h('div', { class: 'bubble recalled', testid: 'message-recalled' }, t('chat.recalled'))
  const kindCtx: KindContext = { client: ctx.client, nameOf: ctx.nameOf, onMediaLoad, myId: ctx.me.id, isAdmin: () => ctx.conversation()?.type !== 'direct' && ctx.canPin() }
  return kindOf(m).render(m, kindCtx)
}

function menuOf (ctx: ChatContext, m: Message, actions: RowActions): HTMLElement | null {
  if (isRecalled(m)) return null
  const { client } = ctx
  const pinned = m.pinnedAt !== null && m.pinnedAt !== undefined
  const editable = m.senderId === ctx.me.id && kindOf(m).edit !== undefined
  return messageMenu(m, {
    reply: () => { actions.reply(m) },
    react: (emoji) => { void ctx.act(client.react(m.id, emoji), 'act.react') },
    edit: editable ? () => { actions.edit(m) } : undefined,
    forward: () => { actions.forward(m) },
    pin: ctx.canPin() ? () => { void ctx.act(pinned ? client.unpin(m.id) : client.pin(m.id), pinned ? 'act.unpin' : 'act.pin') } : undefined,
    deleteForMe: () => { void confirmDialog(t('confirm.deleteForMe'), t('menu.deleteForMe')).then((yes) => { if (yes) void ctx.act(client.deleteForMe(ctx.conversationId, m.id), 'act.delete') }) }
  })
}

function recallWindowText (s: number): string {
  return s % 60 === 0 ? t('error.recallWindow', { count: s / 60 }) : t('error.recallWindowSeconds', { count: s })
}

/** Recall, offered only within the server's recall window, and gone when it ends; asks first. */
function recallButton (ctx: ChatContext, m: Message): HTMLElement | null {
  const left = Date.parse(m.createdAt) + ctx.store.recallWindowS * 1000 - Date.now()
  if (left <= 0) return null
  const button = h('button', {
    class: 'link small',
    testid: 'recall',
    title: t('chat.recallTitle'),
    onclick: async () => {
      if (!await confirmDialog(t('confirm.recall'), t('chat.recall'))) return
      try {
        await ctx.client.recall(m.id)
      } catch (err) {
        const late = (err as { code?: string }).code === 'FORBIDDEN' && Date.parse(m.createdAt) + ctx.store.recallWindowS * 1000 <= Date.now() + 5000
        ctx.showError(late ? recallWindowText(ctx.store.recallWindowS) : t('chat.couldNot', { what: t('act.recall'), reason: errorText(err) }))
      }
    }
  }, t('chat.recall'))
  setTimeout(() => { button.remove() }, Math.min(left, 2 ** 31 - 1))
  return button
}

/** Pinned and edited marks, the time, and on mine the ticks and Recall. */
function meta (ctx: ChatContext, m: Message): HTMLElement {
  const mine = m.senderId === ctx.me.id
  const recalled = isRecalled(m)
  return h('div', { class: 'meta' },
    m.pinnedAt !== null && m.pinnedAt !== undefined ? h('span', { class: 'pin-mark', testid: 'pin-mark' }, t('chat.pinnedMark')) : null,
    m.editedAt !== null && m.editedAt !== undefined && !recalled ? h('span', { class: 'edited', testid: 'edited-mark', title: t('chat.editedAt', { when: dateTimeOf(m.editedAt) }) }, t('chat.edited')) : null,
    h('time', { datetime: m.createdAt, title: dateTimeOf(m.createdAt) }, timeOf(m.createdAt)),
    mine ? ticks(ctx, m) : null,
    mine && !recalled ? recallButton(ctx, m) : null)
}

/** One message in the timeline; a notice kind (membership, profile changes) has no actions. */
export function messageRow (ctx: ChatContext, m: Message, actions: RowActions): HTMLElement {
  if (kindOf(m).notice === true) return rowContent(ctx, m, actions.onMediaLoad)
  const { client, me } = ctx
  const mine = m.senderId === me.id
  const menu = menuOf(ctx, m, actions)
  const toggleReaction = (emoji: string, reacted: boolean): void => { void ctx.act(reacted ? client.unreact(m.id, emoji) : client.react(m.id, emoji), 'act.react') }
  return h('div', {
    class: `msg ${mine ? 'mine' : ''} ${mentionsMe(m, me.id) ? 'mentions-me' : ''}`,
    testid: 'message',
    'data-seq': m.seq,
    'data-rev': m.rev,
    'data-message-id': m.id,
    'data-client-msg-id': m.clientMsgId,
    'data-mine': String(mine),
    'data-mentions-me': String(mentionsMe(m, me.id)),
    'data-pinned': String(m.pinnedAt !== null && m.pinnedAt !== undefined)
  },
  !mine && ctx.conversation()?.type !== 'direct' ? h('span', { class: 'sender', testid: 'sender-name' }, m.sender.displayName) : null,
  forwardedLabel(m),
  replyQuote(m, ctx.nameOf, actions.scrollTo),
  h('div', { class: 'bubble-line' }, mine ? menu : null, rowContent(ctx, m, actions.onMediaLoad), mine ? null : menu),
  isRecalled(m) ? null : linkPreviewCard(ctx, m, actions.onMediaLoad),
  isRecalled(m) ? null : reactionChips(m.reactions ?? [], me.id, toggleReaction),
  threadLink(m, actions.openThread),
  meta(ctx, m))
}
