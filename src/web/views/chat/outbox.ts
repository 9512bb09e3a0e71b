import { uuid, type MessageContent, type SendableMessageType, type SendContent } from '@relay-im/client'
import { uploadFile } from '../../uploads.js'
import type { ChatContext } from './context.js'
import type { MessageList } from './message-list.js'
import { errorText, t } from '../../i18n/index.js'

export interface SendExtras { replyTo?: string, mentions?: string[], linkPreview?: boolean }

export interface Outbox {
  /** Sends a message, shown as pending until the server's copy replaces it. */
  send: (type: SendableMessageType, body: MessageContent, extras?: SendExtras, clientMsgId?: string) => void
  /** Uploads each file (pending "Uploading…" meanwhile), then sends it as an image or file. */
  sendFiles: (files: FileList | File[]) => Promise<void>
}

/**
 * Sends from one chat. Each send is also kept in the store until acknowledged, so leaving the
 * chat and coming back (offline, say) still shows it pending; the list may be gone by the time
 * an answer comes, which then only settles the store.
 */
export function outbox (ctx: ChatContext, list: MessageList): Outbox {
  const { store, conversationId } = ctx
  function send (type: SendableMessageType, body: MessageContent, extras: SendExtras = {}, clientMsgId = uuid()): void {
    if (!list.hasPending(clientMsgId)) list.addPending(clientMsgId, type, body)
    store.keepUnsent(conversationId, clientMsgId, { type, body })
    ctx.client.send({ conversationId, ...{ type, content: body } as SendContent, clientMsgId, ...extras })
      .then(() => { store.settleUnsent(conversationId, clientMsgId) }, (err: unknown) => {
        store.keepUnsent(conversationId, clientMsgId, { type, body, failed: errorText(err) })
        list.failed(clientMsgId, errorText(err))
      })
  }

  async function sendFiles (files: FileList | File[]): Promise<void> {
    for (const file of Array.from(files)) {
      const clientMsgId = uuid()
      const label = t('chat.uploading', { name: file.name })
      list.addPending(clientMsgId, 'text', null, label)
      store.keepUnsent(conversationId, clientMsgId, { type: 'text', body: null, label })
      try {
        const { type, content } = await uploadFile(ctx.client, file)
        send(type, content, {}, clientMsgId)
      } catch (err) {
        const message = `${file.name}: ${errorText(err)}`
        store.keepUnsent(conversationId, clientMsgId, { type: 'text', body: null, label, failed: message })
        list.failed(clientMsgId, message)
      }
    }
  }

  return { send, sendFiles }
}
