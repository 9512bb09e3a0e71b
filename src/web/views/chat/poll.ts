import type { Client, Message } from '@relay-im/client'
import type { PollContent, PollResults } from '@relay-im/client/protocol'
import { h } from '../../dom.js'
import { errorText, t } from '../../i18n/index.js'

export interface PollContext {
  client: Client
  myId: string
  nameOf: (userId: string) => string
  /** The group's or channel's owner or an admin (they close anyone's poll). */
  isAdmin: () => boolean
}

/** A share as a bar, styled through the CSSOM (the page's CSP refuses style attributes). */
function bar (share: number): HTMLElement {
  const el = h('div', { class: 'poll-bar' })
  Object.assign(el.style, { height: '4px', background: 'currentColor', opacity: '0.35', width: `${Math.round(100 * share)}%` })
  return el
}

const OPTIONS_MIN = 2
const OPTIONS_MAX = 10

/**
 * A poll's bubble: its options as buttons (checkboxes when several may be chosen) with counts
 * and bars, who voted in a public poll, its closed state and the close button. The row is
 * drawn again when `message:updated` brings new results.
 */
export function pollBubble (m: Message, ctx: PollContext): HTMLElement {
  const content = m.content as PollContent
  const results: PollResults = m.poll ?? { counts: content.options.map(() => 0), voters: 0, closed: false, closedAt: null, closedBy: null }
  const error = h('div', { class: 'muted small', testid: 'poll-error', hidden: true })
  const act = (p: Promise<unknown>): void => {
    void p.catch((err: unknown) => { error.textContent = errorText(err); error.hidden = false })
  }
  // In a public poll my choice is in the results; in an anonymous one it is asked for once.
  const mine = new Set<number>()
  content.options.forEach((_, i) => { if (results.votes?.[i]?.includes(ctx.myId) === true) mine.add(i) })
  const open = !results.closed
  const total = Math.max(1, results.voters)
  const choose = (i: number): void => {
    const next = content.multiple === true ? (mine.has(i) ? [...mine].filter((x) => x !== i) : [...mine, i]) : (mine.has(i) ? [] : [i])
    act(ctx.client.vote(m.id, next))
  }
  const rows = content.options.map((option, i) => {
    const count = results.counts[i] ?? 0
    const voters = results.votes?.[i] ?? []
    const marker = content.multiple === true ? (mine.has(i) ? '☑' : '☐') : (mine.has(i) ? '◉' : '○')
    return h('div', { class: 'poll-option', testid: 'poll-option' },
      h('button', { type: 'button', class: 'link', testid: 'poll-vote', disabled: !open, 'aria-pressed': mine.has(i) ? 'true' : 'false', onclick: () => { choose(i) } }, `${marker} ${option}`),
      h('span', { class: 'muted small', testid: 'poll-count' }, ` ${count}`),
      bar(count / total),
      voters.length > 0 ? h('div', { class: 'muted small', testid: 'poll-voters' }, voters.map(ctx.nameOf).join(', ')) : null)
  })
  const mayClose = open && (m.senderId === ctx.myId || ctx.isAdmin())
  const bubble = h('div', { class: 'bubble poll', testid: 'message-poll' },
    h('strong', { testid: 'poll-question' }, content.question),
    h('div', { class: 'muted small' }, t(content.multiple === true ? 'poll.multiple' : 'poll.single'), content.anonymous === true ? ` · ${t('poll.anonymous')}` : ''),
    ...rows,
    h('div', { class: 'muted small', testid: 'poll-state' }, t('poll.voters', { count: results.voters }), results.closed ? ` · ${t('poll.closed')}` : ''),
    mayClose ? h('button', { type: 'button', class: 'link', testid: 'poll-close', onclick: () => { act(ctx.client.closePoll(m.id)) } }, t('poll.close')) : null,
    error)
  if (content.anonymous === true && m.recalled !== true) {
    void ctx.client.pollOf(m.id).then((s) => {
      for (const i of s.myVotes) mine.add(i)
      rows.forEach((row, i) => { if (mine.has(i)) row.querySelector('button')?.setAttribute('aria-pressed', 'true') })
    }, () => {})
  }
  return bubble
}

/** The composer's poll form: question, 2-10 options (add/remove), multiple, anonymous. */
export function pollForm (send: (poll: PollContent) => void, onDone: () => void): HTMLElement {
  const question = h('input', { testid: 'poll-question-input', placeholder: t('poll.question'), 'aria-label': t('poll.question'), maxlength: 300 })
  const list = h('div', { class: 'poll-options' })
  const multiple = h('input', { type: 'checkbox', testid: 'poll-multiple' })
  const anonymous = h('input', { type: 'checkbox', testid: 'poll-anonymous' })
  const inputs = (): HTMLInputElement[] => Array.from(list.querySelectorAll('input'))
  const addOption = (): void => {
    if (inputs().length >= OPTIONS_MAX) return
    const input = h('input', { testid: 'poll-option-input', placeholder: t('poll.option'), 'aria-label': t('poll.option'), maxlength: 100 })
    const row = h('div', {}, input, h('button', { type: 'button', class: 'link', testid: 'poll-option-remove', 'aria-label': t('poll.removeOption'), onclick: () => { if (inputs().length > OPTIONS_MIN) row.remove() } }, '✕'))
    list.append(row)
  }
  for (let i = 0; i < OPTIONS_MIN; i++) addOption()
  const form = h('form', { class: 'poll-form', testid: 'poll-form', onsubmit: (e: SubmitEvent) => {
    e.preventDefault()
    const options = inputs().map((i) => i.value.trim()).filter((v) => v !== '')
    if (question.value.trim() === '' || options.length < OPTIONS_MIN) return
    send({ question: question.value.trim(), options, multiple: multiple.checked, anonymous: anonymous.checked })
    onDone()
  } },
  question, list,
  h('button', { type: 'button', class: 'link', testid: 'poll-option-add', onclick: addOption }, t('poll.addOption')),
  h('label', {}, multiple, ` ${t('poll.multiple')}`),
  h('label', {}, anonymous, ` ${t('poll.anonymous')}`),
  h('button', { type: 'submit', class: 'primary', testid: 'poll-send' }, t('composer.send')),
  h('button', { type: 'button', class: 'link', testid: 'poll-cancel', onclick: onDone }, t('poll.cancel')))
  return form
}
