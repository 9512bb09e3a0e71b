import type { Message } from '@relay-im/client'
import { forwardDialog } from '../message-parts.js'
import type { ChatContext } from './context.js'
import { errorText, t } from '../../i18n/index.js'

/** Opens the forward dialog over `host`: picking a conversation forwards `m` there. */
export function openForward (ctx: ChatContext, host: HTMLElement, m: Message): void {
  const { store } = ctx
  const targets = store.sortedConversations().filter((c) => c.id !== ctx.conversationId)
  const dialog = forwardDialog(targets, (c) => store.title(c), (c) => {
    dialog.remove()
    ctx.client.send({ conversationId: c.id, forwardOf: m.id }).then(
      () => { ctx.showError(t('forward.done', { name: store.title(c) })) },
      (err: unknown) => { ctx.showError(t('chat.couldNot', { what: t('act.forward'), reason: errorText(err) })) })
  }, () => { dialog.remove() })
  host.append(dialog)
}
