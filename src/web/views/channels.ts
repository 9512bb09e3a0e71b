import type { ChannelSummary } from '@relay-im/client'
import { CHANNEL_NAME_MAX, CHANNEL_TOPIC_MAX } from '@relay-im/client/protocol'
import { h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { errorText, t } from '../i18n/index.js'

const PAGE = 20

/**
 * The channel browser: public channels by name (most members first, paged), join or open one,
 * and make a new one.
 */
export function channelBrowser (store: Store, open: (conversationId: string) => void): HTMLElement {
  const { client } = store
  let results: ChannelSummary[] = []
  let nextCursor: string | undefined
  let seq = 0
  const list = h('ul', { class: 'list', testid: 'channel-list' })
  const status = h('p', { class: 'muted small', testid: 'channel-status', 'aria-live': 'polite' })
  const more = h('button', { type: 'button', class: 'small', testid: 'channel-more', hidden: true, onclick: () => { void load(false) } }, t('channels.more'))
  const error = h('p', { class: 'error', role: 'alert', testid: 'channel-error' })
  const search = h('input', { type: 'search', testid: 'channel-search', placeholder: t('channels.search'), 'aria-label': t('channels.search'), oninput: () => { void load(true) } })
  const name = h('input', { testid: 'channel-name', placeholder: t('channels.name'), maxlength: CHANNEL_NAME_MAX, required: true, 'aria-label': t('channels.newName') })
  const topic = h('input', { testid: 'channel-topic', placeholder: t('channels.topic'), maxlength: CHANNEL_TOPIC_MAX, 'aria-label': t('channels.newTopic') })
  const close = (): void => { overlay.remove() }

  async function load (fresh: boolean): Promise<void> {
    const mine = ++seq
    error.textContent = ''
    try {
      const q = search.value.trim()
      const page = await client.channels({ q: q === '' ? undefined : q, limit: PAGE, cursor: fresh ? undefined : nextCursor })
      if (mine !== seq) return
      results = fresh ? page.channels : [...results, ...page.channels]
      nextCursor = page.nextCursor
      render()
    } catch (err) {
      if (mine === seq) error.textContent = errorText(err)
    }
  }

  async function join (ch: ChannelSummary): Promise<void> {
    error.textContent = ''
    try {
      if (!store.conversations.has(ch.id)) store.add(await client.joinChannel(ch.id))
      close()
      open(ch.id)
    } catch (err) {
      error.textContent = errorText(err)
    }
  }

  function item (ch: ChannelSummary): HTMLElement {
    const member = ch.joined || store.conversations.has(ch.id)
    return h('li', { class: 'person', testid: 'channel-item', 'data-channel-id': ch.id, 'data-name': ch.name, 'data-members': ch.memberCount },
      h('span', { class: 'conv-text' },
        h('span', { class: 'conv-title' }, `# ${ch.name}`),
        h('span', { class: 'conv-preview' }, `${t('chat.members', { count: ch.memberCount })}${ch.topic !== null && ch.topic !== '' ? ` · ${ch.topic}` : ''}`)),
      h('button', { type: 'button', class: member ? 'small' : 'primary small', testid: member ? 'channel-open' : 'channel-join', onclick: () => { void join(ch) } }, member ? t('channels.open') : t('channels.join')))
  }

  function render (): void {
    replace(list, ...results.map(item))
    status.textContent = results.length === 0 ? t('channels.none') : ''
    more.hidden = nextCursor === undefined
  }

  const overlay = h('div', { class: 'overlay', onclick: (e: MouseEvent) => { if (e.target === overlay) close() } },
    h('div', { class: 'dialog wide', testid: 'channel-browser', role: 'dialog', 'aria-label': t('channels.title') },
      h('h2', {}, t('channels.title')),
      search,
      error,
      list,
      status,
      more,
      h('form', {
        class: 'new-channel',
        testid: 'channel-create-form',
        onsubmit: async (e: SubmitEvent) => {
          e.preventDefault()
          error.textContent = ''
          try {
            const c = await client.createChannel(name.value.trim(), topic.value.trim() === '' ? undefined : topic.value.trim())
            store.add(c)
            close()
            open(c.id)
          } catch (err) {
            error.textContent = errorText(err)
          }
        }
      },
      h('h3', {}, t('channels.new')),
      name, topic,
      h('button', { type: 'submit', class: 'primary small', testid: 'channel-create' }, t('channels.create'))),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', testid: 'channel-close', onclick: close }, t('channels.close')))))
  void load(true)
  queueMicrotask(() => { search.focus() })
  return overlay
}
