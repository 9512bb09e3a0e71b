import { uuid, type MessageContent, type SendableMessageType, type SendContent } from '@relay-im/client'
import { uploadFile } from '../../uploads.js'
import type { ChatContext } from './context.js'
import type { MessageList } from './message-list.js'
import { errorText, t } from '../../i18n/index.js'

export interface SendExtras { replyTo?: string, mentions?: string[] }

export interface Outbox {
  /** Sends a message, shown as pending until the server's copy replaces it. */
  send: (type: SendableMessageType, body: MessageContent, extras?: SendExtras, clientMsgId?: string) => void
  /** Uploads each file (pending "Uploading…" meanwhile), then sends it as an image or file. */
  sendFiles: (files: FileList) => Promise<void>
}

export function outbox (ctx: ChatContext, list: MessageList): Outbox {
  function send (type: SendableMessageType, body: MessageContent, extras: SendExtras = {}, clientMsgId = uuid()): void {
    if (!list.hasPending(clientMsgId)) list.addPending(clientMsgId, type, body)
    ctx.client.send({ conversationId: ctx.conversationId, ...{ type, content: body } as SendContent, clientMsgId, ...extras })
      .catch((err: unknown) => { list.failed(clientMsgId, errorText(err)) })
  }

  async function sendFiles (files: FileList): Promise<void> {
    for (const file of Array.from(files)) {
      const clientMsgId = uuid()
      list.addPending(clientMsgId, 'text', null, t('chat.uploading', { name: file.name }))
      try {
        const { type, content } = await uploadFile(ctx.client, file)
        send(type, content, {}, clientMsgId)
      } catch (err) {
        list.failed(clientMsgId, `${file.name}: ${errorText(err)}`)
      }
    }
  }

  return { send, sendFiles }
}
