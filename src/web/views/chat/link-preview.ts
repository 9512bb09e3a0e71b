import type { Message } from '@relay-im/client'
import { h } from '../../dom.js'
import { t } from '../../i18n/index.js'
import { linkFile } from '../../uploads.js'
import type { ChatContext } from './context.js'

/**
 * A message's link preview as a card under its bubble: the site's name, the title (a link to
 * the page, opened without a referrer), the description and the image the server stored (an
 * upload: the reader's browser never contacts the site for it). The sender gets a button to
 * remove it. Nothing when the message has none.
 */
export function linkPreviewCard (ctx: ChatContext, m: Message, onMediaLoad: () => void): HTMLElement | null {
  const p = m.linkPreview
  if (p === undefined || !/^https?:\/\//i.test(p.url)) return null
  let image: HTMLElement | null = null
  if (p.image !== null && p.image.startsWith('/api/uploads/')) {
    const img = h('img', { alt: '', testid: 'link-preview-image', loading: 'lazy' })
    img.addEventListener('load', onMediaLoad)
    linkFile(ctx.client, p.image, [[img, 'src']])
    image = img
  }
  const mine = m.senderId === ctx.me.id
  return h('div', { class: 'link-preview', testid: 'link-preview' },
    image,
    h('div', { class: 'link-preview-text' },
      p.siteName !== null ? h('div', { class: 'muted small', testid: 'link-preview-site' }, p.siteName) : null,
      h('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer nofollow', referrerpolicy: 'no-referrer', testid: 'link-preview-title' }, p.title ?? p.url),
      p.description !== null ? h('div', { class: 'small', testid: 'link-preview-description' }, p.description) : null),
    mine
      ? h('button', {
        class: 'link small',
        testid: 'link-preview-remove',
        title: t('chat.linkPreviewRemoveTitle'),
        onclick: () => { void ctx.act(ctx.client.removeLinkPreview(m.id), 'act.removeLinkPreview') }
      }, t('chat.linkPreviewRemove'))
      : null)
}
