import type { Message, MessageContent, MessageType } from '@relay-im/client'
import { h } from '../../dom.js'
import type { ChatContext } from './context.js'
import { rowContent, TICKS } from './message-row.js'

/** My sends until the server answers: a bubble with a pending tick, marked failed on an error. */
export interface PendingRows {
  /** Shows a send at the end of the list: its content, or `label` (an upload in progress). */
  add: (clientMsgId: string, type: MessageType, body: MessageContent, label?: string) => void
  has: (clientMsgId: string) => boolean
  /** Marks a send failed; `announce` (default) also shows the error. */
  failed: (clientMsgId: string, message: string, announce?: boolean) => void
  /** The server's copy arrived: the pending bubble goes. */
  settle: (clientMsgId: string) => void
}

export function pendingRows (ctx: ChatContext, list: HTMLElement, shown: () => void): PendingRows {
  const pending = new Map<string, HTMLElement>()
  return {
    add: (clientMsgId, type, body, label) => {
      const draft = { type, content: body } as Message
      const el = h('div', { class: 'msg mine pending', testid: 'message-pending', 'data-client-msg-id': clientMsgId, 'data-mine': 'true' },
        label !== undefined ? h('div', { class: 'bubble' }, label) : rowContent(ctx, draft, () => {}),
        h('div', { class: 'meta' }, h('span', { class: 'ticks', testid: 'ticks', 'data-state': 'pending' }, TICKS.pending)))
      pending.set(clientMsgId, el)
      list.append(el)
      shown()
    },
    has: (clientMsgId) => pending.has(clientMsgId),
    failed: (clientMsgId, message, announce = true) => {
      const el = pending.get(clientMsgId)
      if (el === undefined) return
      el.classList.add('failed')
      const t = el.querySelector('.ticks')
      if (t !== null) {
        t.textContent = TICKS.failed
        t.setAttribute('data-state', 'failed')
        t.setAttribute('title', message)
      }
      if (announce) ctx.showError(message)
    },
    settle: (clientMsgId) => {
      pending.get(clientMsgId)?.remove()
      pending.delete(clientMsgId)
    }
  }
}
