import { h, replace } from '../../dom.js'
import type { ChatContext } from './context.js'
import { t } from '../../i18n/index.js'

const MAX_OPTIONS = 8

export interface MentionPicker {
  el: HTMLElement
  /** Shows the members matching an "@prefix" at the caret (in groups), else hides. */
  render: () => void
  hide: () => void
  /** The ids of the picked mentions still present in `text`; forgets the picks. */
  take: (text: string) => string[] | undefined
}

interface Option { id: string, label: string }

function optionsFor (ctx: ChatContext, prefix: string): Option[] {
  const c = ctx.conversation()!
  const q = prefix.toLowerCase()
  const options = c.members.filter((u) => u.id !== ctx.me.id && (u.displayName.toLowerCase().startsWith(q) || u.username.toLowerCase().startsWith(q)))
    .map((u) => ({ id: u.id, label: u.displayName }))
  const role = c.members.find((u) => u.id === ctx.me.id)?.role
  // "@all" in the user's language (the mention itself is the id 'all'); the English word is typed too.
  const all = t('mention.all')
  if ((role === 'owner' || role === 'admin') && (all.toLowerCase().startsWith(q) || 'all'.startsWith(q))) options.push({ id: 'all', label: all })
  return options.slice(0, MAX_OPTIONS)
}

/** In groups, "@" followed by a name prefix at the caret of `input` opens the member picker. */
export function mentionPicker (ctx: ChatContext, input: HTMLTextAreaElement): MentionPicker {
  const el = h('div', { class: 'mention-picker', testid: 'mention-picker', hidden: true })
  /** Mentions picked in the composer: the inserted "@Name" -> user id. */
  const picked = new Map<string, string>()

  function pick (typed: number, o: Option): void {
    const caret = input.selectionStart ?? input.value.length
    const start = caret - typed - 1
    input.value = `${input.value.slice(0, start)}@${o.label} ${input.value.slice(caret)}`
    const at = start + o.label.length + 2
    input.setSelectionRange(at, at)
    picked.set(`@${o.label}`, o.id)
    el.hidden = true
    input.focus()
  }

  function render (): void {
    const match = /(^|\s)@([^\s@]*)$/.exec(input.value.slice(0, input.selectionStart ?? input.value.length))
    if (ctx.conversation()?.type !== 'group' || match === null) {
      el.hidden = true
      return
    }
    const typed = match[2]!
    const options = optionsFor(ctx, typed)
    replace(el, ...options.map((o) => h('button', {
      type: 'button',
      class: 'menu-item',
      testid: 'mention-option',
      'data-user-id': o.id,
      onmousedown: (e: MouseEvent) => { e.preventDefault() },
      onclick: () => { pick(typed.length, o) }
    }, `@${o.label}`)))
    el.hidden = options.length === 0
  }

  function take (text: string): string[] | undefined {
    const ids = [...picked].filter(([label]) => text.includes(label)).map(([, id]) => id)
    picked.clear()
    if (ids.includes('all')) return ['all']
    return ids.length === 0 ? undefined : [...new Set(ids)]
  }

  return { el, render, hide: () => { el.hidden = true }, take }
}
