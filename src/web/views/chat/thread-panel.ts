import type { Message } from '@relay-im/client'
import { h, replace } from '../../dom.js'
import { t } from '../../i18n/index.js'
import { kindOf } from '../kinds.js'
import { messageRow, rowContent, type RowActions } from './message-row.js'
import type { ChatContext } from './context.js'

export interface ThreadPanel {
  el: HTMLElement
  rootId: string
  /** A new message of the conversation: shown when it is a reply in this thread. */
  onMessage: (m: Message) => void
  /** A changed message (edit, recall, reactions): redrawn when shown here. */
  onUpdated: (m: Message) => void
  /** A message deleted for me: gone from here too. */
  onHidden: (messageId: string) => void
  /** Back online after a break: the replies missed meanwhile. */
  reload: () => Promise<void>
  destroy: () => void
}

/**
 * One thread beside the chat (a side panel on a wide screen, the whole view on a narrow one,
 * styles.css): its root, its replies oldest first, following, and a composer that can also
 * send to the chat. Each reply is drawn as the chat draws a message (message-row.ts), with the
 * same menu (react, edit, forward, pin, delete for me) and recall; "reply" there writes in this
 * thread. Opening it, and each reply arriving while it is open, moves my read position in the
 * thread to its last reply.
 */
export function threadPanel (ctx: ChatContext, root: Message, onClose: () => void, actions: RowActions): ThreadPanel {
  const { client, conversationId } = ctx
  const replies = h('div', { class: 'thread-replies', testid: 'thread-replies' })
  const shown = new Map<string, { m: Message, el: HTMLElement }>()
  let following = false
  const follow = h('button', {
    type: 'button',
    class: 'link small',
    testid: 'thread-follow',
    onclick: () => { void ctx.act(client[following ? 'unfollowThread' : 'followThread'](conversationId, root.id).then((s) => { setFollowing(s.following) }), 'thread.follow') }
  })
  function setFollowing (v: boolean): void {
    following = v
    follow.textContent = v ? t('thread.unfollow') : t('thread.follow')
    follow.dataset.following = String(v)
  }
  setFollowing(false)
  const input = h('textarea', { class: 'thread-input', testid: 'thread-input', rows: 2, placeholder: t('thread.placeholder') })
  const alsoInChat = h('input', { type: 'checkbox', testid: 'thread-also-in-chat' })
  // Editing one of my replies happens here, not in the chat's composer (hidden behind the panel on a phone).
  let editing: Message | undefined
  const send = async (): Promise<void> => {
    const text = input.value.trim()
    if (text === '') return
    input.value = ''
    const target = editing
    editing = undefined
    delete input.dataset.editing
    if (target !== undefined) {
      const content = kindOf(target).edit?.fromText(text)
      if (content !== undefined) await ctx.act(client.edit(target.id, content), 'act.edit')
      return
    }
    await ctx.act(client.replyInThread({ id: root.id, conversationId }, { type: 'text', content: text, alsoInChat: alsoInChat.checked }), 'thread.send')
  }
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); void send() }
    if (e.key === 'Escape' && editing !== undefined) { editing = undefined; delete input.dataset.editing; input.value = '' }
  })
  const el = h('section', { class: 'thread-panel', testid: 'thread-panel', 'data-root-id': root.id },
    h('div', { class: 'panel-head' }, h('h2', {}, t('thread.title')), follow,
      h('button', { type: 'button', class: 'link', testid: 'thread-close', title: t('thread.close'), onclick: onClose }, '×')),
    h('div', { class: 'thread-root', testid: 'thread-root' }, h('span', { class: 'sender' }, ctx.nameOf(root.senderId)), rowContent(ctx, root, () => {})),
    replies,
    h('div', { class: 'thread-composer' }, input,
      h('label', { class: 'small' }, alsoInChat, ` ${t('thread.alsoInChat')}`),
      h('button', { type: 'button', testid: 'thread-send', onclick: () => { void send() } }, t('thread.send'))))

  const startEdit = (m: Message): void => {
    editing = m
    input.value = kindOf(m).edit?.toText(m.content) ?? ''
    input.dataset.editing = m.id
    input.focus()
  }
  const rowActions: RowActions = { ...actions, reply: () => { input.focus() }, edit: startEdit, openThread: () => {}, scrollTo: () => {}, onMediaLoad: () => {} }
  function rowOf (m: Message): HTMLElement {
    const row = messageRow(ctx, m, rowActions)
    // Not a timeline row: the chat's own lookups of `message` rows must not find it.
    row.dataset.testid = 'thread-message'
    return h('div', { class: `thread-reply ${m.senderId === ctx.me.id ? 'mine' : ''}`, testid: 'thread-reply', 'data-seq': m.seq, 'data-message-id': m.id }, row)
  }
  function render (): void {
    const ordered = [...shown.values()].sort((a, b) => a.m.seq - b.m.seq)
    if (ordered.length === 0) replace(replies, h('p', { class: 'muted small', testid: 'thread-empty' }, t('thread.empty')))
    else replace(replies, ...ordered.map((r) => r.el))
    replies.scrollTop = replies.scrollHeight
  }
  let readTo = 0
  function markRead (): void {
    const last = Math.max(0, ...[...shown.values()].map((r) => r.m.seq))
    if (last <= readTo) return
    readTo = last
    void client.markThreadRead(conversationId, root.id, last).catch(() => { readTo = 0 })
  }
  async function reload (): Promise<void> {
    try {
      const page = await client.threadMessages(conversationId, root.id, { limit: 100 })
      for (const m of page.messages) shown.set(m.id, { m, el: rowOf(m) })
      setFollowing((await client.thread(conversationId, root.id)).following)
    } catch (err) {
      ctx.showError(String((err as Error).message))
    }
    render()
    markRead()
  }
  void reload()
  return {
    el,
    rootId: root.id,
    onMessage: (m) => {
      if (m.threadRootId !== root.id || shown.has(m.id)) return
      shown.set(m.id, { m, el: rowOf(m) })
      if (m.senderId === ctx.me.id) setFollowing(true)
      render()
      markRead()
    },
    onUpdated: (m) => {
      const old = shown.get(m.id)
      if (old === undefined || m.rev < old.m.rev) return
      shown.set(m.id, { m, el: rowOf(m) })
      render()
    },
    onHidden: (messageId) => {
      if (shown.delete(messageId)) render()
    },
    reload,
    destroy: () => { el.remove() }
  }
}
