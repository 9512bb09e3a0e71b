import type { Message } from '@relay-im/client'
import { h, replace } from '../../dom.js'
import { paperclip } from '../icons.js'
import { kindOf, previewOf } from '../kinds.js'
import type { ChatContext } from './context.js'
import { mentionPicker } from './mention-picker.js'
import { errorText, t } from '../../i18n/index.js'
import type { Outbox } from './outbox.js'
import { pollForm } from './poll.js'
import { pickedTime, timeInput } from './scheduled.js'

const MAX_HEIGHT_PX = 160

export interface Composer {
  /** The mention picker, the reply/edit bar and the form, in page order. */
  parts: HTMLElement[]
  startReply: (m: Message) => void
  startEdit: (m: Message) => void
  /** A shown message changed: editing it stops once it is recalled. */
  onUpdated: (m: Message) => void
}

export interface ComposerDeps {
  outbox: Outbox
  /** My newest text message still shown (the Up key edits it). */
  lastOwnText: () => Message | undefined
}

/** The reply or edit in progress, with the bar that shows it. */
function composingState (ctx: ChatContext, input: HTMLTextAreaElement, autosize: () => void) {
  const bar = h('div', { class: 'composer-bar', hidden: true })
  const state: { replyingTo?: Message, editing?: Message } = {}
  function stop (): void {
    state.replyingTo = undefined
    state.editing = undefined
    bar.hidden = true
    bar.replaceChildren()
  }
  function show (testid: string, label: string, m: Message, cancel: HTMLElement): void {
    replace(bar, h('div', { class: 'bar-text', testid }, h('strong', {}, label), h('span', {}, previewOf(m, ctx.nameOf))), cancel)
    bar.hidden = false
    input.focus()
  }
  function startReply (m: Message): void {
    state.editing = undefined
    state.replyingTo = m
    show('reply-preview', t('composer.replyingTo', { name: ctx.nameOf(m.senderId) }), m,
      h('button', { type: 'button', class: 'link', testid: 'reply-cancel', 'aria-label': t('composer.cancelReply'), onclick: stop }, '✕'))
  }
  function startEdit (m: Message): void {
    state.replyingTo = undefined
    state.editing = m
    input.value = kindOf(m).edit?.toText(m.content) ?? ''
    autosize()
    show('edit-banner', t('composer.editing'), m,
      h('button', { type: 'button', class: 'link', testid: 'edit-cancel', 'aria-label': t('composer.cancelEdit'), onclick: () => { stop(); input.value = '' } }, '✕'))
  }
  return { bar, state, stop, startReply, startEdit }
}

type Composing = ReturnType<typeof composingState>

/** Up on an empty box edits my last text; Escape cancels a reply or edit; Enter sends. */
function onKey (e: KeyboardEvent, input: HTMLTextAreaElement, composing: Composing, lastOwnText: () => Message | undefined, sendText: () => void): void {
  const { state } = composing
  if (e.key === 'ArrowUp' && input.value === '' && state.editing === undefined) {
    const last = lastOwnText()
    if (last !== undefined) {
      e.preventDefault()
      composing.startEdit(last)
    }
    return
  }
  if (e.key === 'Escape' && (state.editing !== undefined || state.replyingTo !== undefined)) {
    if (state.editing !== undefined) input.value = ''
    composing.stop()
    return
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault()
    sendText()
  }
}

/** The message box: text with mentions, Enter to send, Up to edit my last, files, reply and edit. */
export function composer (ctx: ChatContext, deps: ComposerDeps): Composer {
  const input = h('textarea', { testid: 'composer-input', rows: 1, placeholder: t('composer.placeholder'), 'aria-label': t('composer.placeholder'), maxlength: 4000 })
  const fileInput = h('input', { type: 'file', testid: 'file-input', hidden: true, multiple: true })
  const autosize = (): void => {
    input.style.height = 'auto'
    input.style.height = `${Math.min(input.scrollHeight, MAX_HEIGHT_PX)}px`
  }
  const picker = mentionPicker(ctx, input)
  const composing = composingState(ctx, input, autosize)
  const { state } = composing

  function saveEdit (target: Message, text: string): void {
    let content
    try {
      content = kindOf(target).edit!.fromText(text)
    } catch (err) {
      ctx.showError(t('chat.couldNot', { what: t('act.edit'), reason: errorText(err) }))
      return
    }
    void ctx.act(ctx.client.edit(target.id, content), 'act.edit')
  }

  // Link previews: on unless turned off for the next message (it turns back on after a send).
  let previewsOff = false
  const previewToggle = h('button', { type: 'button', class: 'attach', testid: 'link-preview-toggle', 'aria-pressed': 'true', title: t('composer.linkPreviewOn'), 'aria-label': t('composer.linkPreviewOn'), onclick: () => { setPreviews(previewsOff) } }, '🔗')
  function setPreviews (on: boolean): void {
    previewsOff = !on
    previewToggle.setAttribute('aria-pressed', String(on))
    previewToggle.classList.toggle('off', !on)
    const label = t(on ? 'composer.linkPreviewOn' : 'composer.linkPreviewOff')
    previewToggle.title = label
    previewToggle.setAttribute('aria-label', label)
  }

  function sendText (): void {
    const text = input.value.trim()
    if (text === '') return
    input.value = ''
    autosize()
    picker.hide()
    const { editing, replyingTo } = state
    composing.stop()
    if (editing !== undefined) { saveEdit(editing, text); return }
    const mentions = picker.take(text)
    deps.outbox.send('text', text, { ...(replyingTo !== undefined ? { replyTo: replyingTo.id } : {}), ...(mentions !== undefined ? { mentions } : {}), ...(previewsOff ? { linkPreview: false } : {}) })
    setPreviews(true)
  }

  input.addEventListener('input', () => {
    autosize()
    picker.render()
    if (input.value !== '') ctx.client.typing(ctx.conversationId)
  })
  input.addEventListener('keydown', (e) => { onKey(e, input, composing, deps.lastOwnText, sendText) })
  // A pasted image or file (a screenshot, say) is sent as one; pasted text stays text.
  input.addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData?.files ?? [])
    if (files.length === 0) return
    e.preventDefault()
    void deps.outbox.sendFiles(files)
  })
  fileInput.addEventListener('change', () => {
    if (fileInput.files !== null && fileInput.files.length > 0) void deps.outbox.sendFiles(fileInput.files)
    fileInput.value = ''
  })
  const pollPanel = h('div', { class: 'composer-bar', testid: 'poll-panel', hidden: true })
  const togglePoll = (): void => {
    pollPanel.hidden = !pollPanel.hidden
    pollPanel.replaceChildren(...(pollPanel.hidden ? [] : [pollForm((poll) => { deps.outbox.send('poll', poll) }, togglePoll)]))
  }
  const laterPanel = h('div', { class: 'composer-bar', testid: 'schedule-panel', hidden: true })
  const toggleLater = (): void => {
    laterPanel.hidden = !laterPanel.hidden
    if (laterPanel.hidden) { laterPanel.replaceChildren(); return }
    const when = timeInput('schedule-at')
    const schedule = (): void => {
      const text = input.value.trim()
      const sendAt = pickedTime(when)
      if (text === '' || sendAt === undefined) { input.focus(); return }
      void ctx.act(ctx.client.scheduleMessage(ctx.conversationId, { type: 'text', content: text, sendAt }).then(() => {
        input.value = ''
        autosize()
        toggleLater()
      }), 'scheduled.actSchedule')
    }
    replace(laterPanel, h('span', { class: 'bar-text' }, t('scheduled.sendLaterHint')), when,
      h('button', { type: 'button', class: 'primary', testid: 'schedule-send', onclick: schedule }, t('scheduled.schedule')),
      h('button', { type: 'button', class: 'link', testid: 'schedule-close', 'aria-label': t('poll.cancel'), onclick: toggleLater }, '✕'))
  }
  const form = h('form', { class: 'composer', testid: 'composer', onsubmit: (e: SubmitEvent) => { e.preventDefault(); sendText(); input.focus() } },
    h('button', { type: 'button', class: 'attach', testid: 'attach', title: t('composer.attachTitle'), 'aria-label': t('composer.attach'), onclick: () => { fileInput.click() } }, paperclip()),
    fileInput,
    h('button', { type: 'button', class: 'attach', testid: 'poll-new', title: t('poll.new'), 'aria-label': t('poll.new'), onclick: togglePoll }, '📊'),
    previewToggle,
    h('button', { type: 'button', class: 'attach', testid: 'schedule-new', title: t('scheduled.sendLater'), 'aria-label': t('scheduled.sendLater'), onclick: toggleLater }, '⏰'),
    input,
    h('button', { type: 'submit', class: 'primary', testid: 'send' }, t('composer.send')))
  return {
    parts: [picker.el, composing.bar, pollPanel, laterPanel, form],
    startReply: composing.startReply,
    startEdit: composing.startEdit,
    onUpdated: (m) => { if (state.editing?.id === m.id && (m.recalled === true || m.content === null)) composing.stop() }
  }
}
