import type { ScheduledMessage } from '@relay-im/client'
import { h, replace } from '../../dom.js'
import { dateTimeOf } from '../../i18n/dates.js'
import { errorText, t } from '../../i18n/index.js'
import type { ChatContext } from './context.js'

/** A `<input type=datetime-local>` value (local time, to the second) for a Date. */
export function localInputValue (d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** A time picker for "send later", a minute ahead by default (the server wants at least 10 s). */
export function timeInput (testid: string, value: Date = new Date(Date.now() + 60_000)): HTMLInputElement {
  return h('input', { type: 'datetime-local', step: 1, testid, 'aria-label': t('scheduled.when'), value: localInputValue(value) })
}

/** The picked time as ISO 8601, or undefined when empty or not a date. */
export function pickedTime (input: HTMLInputElement): string | undefined {
  const d = new Date(input.value)
  return input.value === '' || Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

export interface ScheduledList {
  el: HTMLElement
  /** Fetches my scheduled messages of this conversation again. */
  load: () => Promise<void>
  destroy: () => void
}

/**
 * My scheduled messages in this conversation, above the composer: when, what, and for a
 * failed one why; edit (text and time) and cancel. Kept current by `scheduled:updated`.
 */
export function scheduledList (ctx: ChatContext): ScheduledList {
  const el = h('div', { class: 'scheduled-list', testid: 'scheduled-list', hidden: true })
  let items: ScheduledMessage[] = []
  let editing: string | undefined

  function editForm (s: ScheduledMessage): HTMLElement {
    const text = h('input', { type: 'text', testid: 'scheduled-edit-text', 'aria-label': t('scheduled.text'), value: typeof s.content === 'string' ? s.content : '' })
    const when = timeInput('scheduled-edit-at', new Date(Math.max(Date.parse(s.sendAt), Date.now() + 60_000)))
    const save = (): void => {
      const sendAt = pickedTime(when)
      const content = text.value.trim()
      editing = undefined
      void ctx.act(ctx.client.editScheduled(s.id, { ...(s.type === 'text' && content !== '' && content !== s.content ? { content } : {}), ...(sendAt !== undefined ? { sendAt } : {}) }), 'scheduled.actEdit')
      render()
    }
    return h('div', { class: 'scheduled-edit' }, s.type === 'text' ? text : null, when,
      h('button', { type: 'button', class: 'primary', testid: 'scheduled-save', onclick: save }, t('scheduled.save')),
      h('button', { type: 'button', class: 'link', testid: 'scheduled-edit-cancel', onclick: () => { editing = undefined; render() } }, t('poll.cancel')))
  }

  function row (s: ScheduledMessage): HTMLElement {
    const status = s.status === 'failed'
      ? h('span', { class: 'scheduled-error', testid: 'scheduled-error', 'data-code': s.error?.code ?? '' }, t('scheduled.failed', { reason: errorText(s.error) }))
      : h('span', { class: 'muted small', testid: 'scheduled-when' }, t('scheduled.at', { when: dateTimeOf(s.sendAt) }))
    const waiting = s.status === 'scheduled' || s.status === 'failed'
    return h('li', { class: 'scheduled-item', testid: 'scheduled-item', 'data-id': s.id, 'data-status': s.status },
      h('span', { class: 'scheduled-text', testid: 'scheduled-text' }, typeof s.content === 'string' ? s.content : t('scheduled.other', { type: s.type })),
      status,
      editing === s.id
        ? editForm(s)
        : waiting
          ? h('span', { class: 'scheduled-actions' },
            h('button', { type: 'button', class: 'link', testid: 'scheduled-edit', onclick: () => { editing = s.id; render() } }, t('scheduled.edit')),
            h('button', { type: 'button', class: 'link', testid: 'scheduled-cancel', onclick: () => { void ctx.act(ctx.client.cancelScheduled(s.id), 'scheduled.actCancel') } }, t('scheduled.cancel')))
          : null)
  }

  function render (): void {
    el.hidden = items.length === 0
    replace(el,
      h('div', { class: 'muted small', testid: 'scheduled-count' }, t('scheduled.count', { count: items.length })),
      h('ul', {}, ...items.map(row)))
  }

  function onUpdated (s: ScheduledMessage): void {
    if (s.conversationId !== ctx.conversationId) return
    items = items.filter((x) => x.id !== s.id)
    if (s.status !== 'sent' && s.status !== 'cancelled') items.push(s)
    items.sort((a, b) => Date.parse(a.sendAt) - Date.parse(b.sendAt))
    if (editing === s.id && s.status !== 'scheduled' && s.status !== 'failed') editing = undefined
    render()
  }
  const off = ctx.client.on('scheduled:updated', onUpdated)

  async function load (): Promise<void> {
    try {
      items = await ctx.client.listScheduled(ctx.conversationId)
    } catch {
      return
    }
    render()
  }
  return { el, load, destroy: off }
}
