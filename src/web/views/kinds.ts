import type { Client, FileContent, Message, MessageContent } from '@relay-im/client'
import type { MessageType } from '@relay-im/client/protocol'
import { formatBytes, h } from '../dom.js'
import { linkFile } from '../uploads.js'
import { t } from '../i18n/index.js'
import { paperclip } from './icons.js'
import { openImageViewer } from './image-viewer.js'
import { emojiOnly, linkified } from './text-content.js'
import { systemContent, systemRow, systemText } from './system.js'
import { pollBubble } from './chat/poll.js'
import type { PollContent } from '@relay-im/client/protocol'

/** What a kind's renderer may use besides the message itself. */
export interface KindContext {
  client: Client
  /** "You" for the reader, else the person's display name. */
  nameOf: (userId: string) => string
  /** Media finished loading (the list keeps itself at the bottom). */
  onMediaLoad: () => void
  /** The reader's user id. */
  myId: string
  /** The reader is the group's or channel's owner or an admin. */
  isAdmin: () => boolean
}

/** How one message kind shows on the page. */
export interface MessageKind {
  /** The content of a row (a bubble), or with `notice` the whole row. */
  render: (m: Message, ctx: KindContext) => HTMLElement
  /** A short text for the conversation list, pins, the reply bar and notices. */
  preview: (m: Message, nameOf: (userId: string) => string) => string
  /** A centred notice in the timeline, with no actions, ticks or sender prefix. */
  notice?: true
  /** How its sender edits it in the composer; absent when it cannot be edited. */
  edit?: { toText: (content: MessageContent) => string, fromText: (text: string) => MessageContent }
}

const PREVIEW_MAX = 100

function imageBubble (f: FileContent, ctx: KindContext): HTMLElement {
  const img = h('img', { alt: f.name, testid: 'message-image', loading: 'lazy', width: f.width, height: f.height })
  img.addEventListener('load', ctx.onMediaLoad)
  // Opens in the viewer (the signed address the image loaded from), not as a raw file in a tab.
  const open = h('button', { type: 'button', class: 'image-open', testid: 'image-open', 'aria-label': f.name, onclick: () => { if (img.src !== '') openImageViewer(img.src, f.name) } }, img)
  linkFile(ctx.client, f.url, [[img, 'src']])
  return h('div', { class: 'bubble media' }, open)
}

function fileBubble (f: FileContent, ctx: KindContext): HTMLElement {
  const link = h('a', { download: f.name, testid: 'message-file' }, paperclip(), ` ${f.name}`)
  linkFile(ctx.client, f.url, [[link, 'href']])
  return h('div', { class: 'bubble file' }, link, h('span', { class: 'muted small' }, ` ${formatBytes(f.size)}`))
}

/**
 * Every message kind the page shows, keyed by its wire type: a kind missing here does not
 * compile. A new kind is one entry (and its component file, when it renders more than a line).
 */
export const KINDS = {
  text: {
    render: (m) => {
      const text = String(m.content)
      const big = emojiOnly(text)
      return h('div', { class: big ? 'bubble emoji-only' : 'bubble', testid: 'message-text', 'data-emoji-only': big ? 'true' : null }, ...linkified(text))
    },
    preview: (m) => String(m.content).slice(0, PREVIEW_MAX),
    edit: { toText: (content) => String(content), fromText: (text) => text }
  },
  image: {
    render: (m, ctx) => imageBubble(m.content as FileContent, ctx),
    preview: () => t('kind.photo')
  },
  file: {
    render: (m, ctx) => fileBubble(m.content as FileContent, ctx),
    preview: (m) => t('kind.file', { name: (m.content as Partial<FileContent>).name ?? '' })
  },
  custom: {
    render: (m) => h('div', { class: 'bubble' }, h('code', {}, JSON.stringify(m.content))),
    preview: () => t('kind.custom'),
    edit: { toText: (content) => JSON.stringify(content), fromText: (text) => JSON.parse(text) as MessageContent }
  },
  poll: {
    render: (m, ctx) => pollBubble(m, ctx),
    preview: (m) => t('kind.poll', { question: (m.content as Partial<PollContent>).question ?? '' }).slice(0, PREVIEW_MAX)
  },
  system: {
    render: (m, ctx) => systemRow(m, ctx.nameOf),
    preview: (m, nameOf) => systemText(systemContent(m), nameOf),
    notice: true
  }
} satisfies Record<MessageType, MessageKind>

/** The kind of a message; an unknown type from a newer server shows as custom content. */
export function kindOf (m: Pick<Message, 'type'>): MessageKind {
  return (KINDS as Record<string, MessageKind>)[m.type] ?? KINDS.custom
}

export function isRecalled (m: Pick<Message, 'recalled' | 'content'>): boolean {
  return m.recalled === true || m.content === null
}

/** The short text of a message wherever the page shows one in a line. */
export function previewOf (m: Message, nameOf: (userId: string) => string): string {
  if (isRecalled(m)) return t('chat.recalled')
  return kindOf(m).preview(m, nameOf)
}
