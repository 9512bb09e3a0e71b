import type { SearchHighlight, SearchResult } from '@relay-im/client'
import { h, replace } from '../dom.js'
import { dateTimeOf } from '../i18n/dates.js'
import { errorText, t } from '../i18n/index.js'
import type { Store } from '../store.js'

/** The highlight as text nodes and <mark> elements: no HTML is ever parsed from a message. */
export function highlighted (hl: SearchHighlight): HTMLElement {
  const out = h('span', { class: 'conv-preview hit-text', testid: 'message-hit-text' })
  let at = 0
  for (const r of hl.ranges) {
    if (r.start < at || r.end > hl.text.length) continue
    out.append(hl.text.slice(at, r.start), h('mark', {}, hl.text.slice(r.start, r.end)))
    at = r.end
  }
  out.append(hl.text.slice(at))
  return out
}

/**
 * The chats tab's message search: a box, then results (newest first, "More" pages on)
 * that open the conversation at the message.
 */
export function messageSearch (store: Store, openAt: (conversationId: string, seq: number) => void): HTMLElement {
  let seq = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let next: string | undefined
  const results = h('ul', { class: 'list', testid: 'message-hits', hidden: true })
  const status = h('p', { class: 'empty', testid: 'message-search-status', hidden: true })
  const input = h('input', {
    type: 'search',
    testid: 'message-search',
    placeholder: t('search.placeholder'),
    'aria-label': t('search.placeholder'),
    maxlength: 256,
    oninput: () => { clearTimeout(timer); timer = setTimeout(() => { void run(false) }, 250) },
    onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') { clearTimeout(timer); void run(false) } }
  })

  function item (r: SearchResult): HTMLElement {
    const c = store.conversations.get(r.conversationId)
    const open = (): void => { openAt(r.conversationId, r.message.seq) }
    return h('li', {
      class: 'conv',
      testid: 'message-hit',
      'data-conversation-id': r.conversationId,
      'data-seq': r.message.seq,
      tabindex: 0,
      onclick: open,
      onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') open() }
    },
    h('span', { class: 'conv-text' },
      h('span', { class: 'conv-title' }, c === undefined ? t('name.conversation') : store.title(c), h('span', { class: 'tag' }, `${r.message.sender.displayName} · `, h('time', { datetime: r.message.createdAt, testid: 'message-hit-time' }, dateTimeOf(r.message.createdAt)))),
      highlighted(r.highlight)))
  }

  async function run (more: boolean): Promise<void> {
    const q = input.value.trim()
    const mine = ++seq
    if (q === '') {
      results.hidden = true
      status.hidden = true
      replace(results)
      return
    }
    try {
      const page = await store.client.search(q, { limit: 20, ...(more && next !== undefined ? { cursor: next } : {}) })
      if (mine !== seq) return
      next = page.nextCursor
      if (!more) replace(results)
      results.querySelector('[data-testid="message-hits-more"]')?.remove()
      results.append(...page.results.map(item))
      if (next !== undefined) {
        results.append(h('li', { class: 'side-actions' }, h('button', { class: 'small', testid: 'message-hits-more', onclick: () => { void run(true) } }, t('search.more'))))
      }
      results.hidden = results.childElementCount === 0
      status.hidden = results.childElementCount > 0
      status.textContent = t('search.none')
    } catch (err) {
      if (mine !== seq) return
      results.hidden = true
      status.hidden = false
      status.textContent = errorText(err)
    }
  }

  return h('div', { class: 'message-search' }, h('div', { class: 'search' }, input), status, results)
}
