import fp from 'fastify-plugin'
import { createChangeStream } from './change-stream.js'
import { createMessageChanges, type MessageChanges } from './message-changes.js'
import { createMessageService, type MessageService } from './service.js'
import { registerMessageEvents } from './socket-events.js'
import { createPolls, registerPollEvents, type Polls } from './polls.js'
import { createLinkPreviewChanges, registerLinkPreviewEvents, type LinkPreviewChanges } from './link-previews.js'
import { createThreads, type Threads } from './threads.js'
import { createBeforeSendHook, type BeforeSendHook } from './before-send.js'

declare module 'fastify' {
  interface FastifyInstance {
    messages: MessageService
    messageChanges: MessageChanges
    polls: Polls
    linkPreviewChanges: LinkPreviewChanges
    threads: Threads
    /** The app's before-send hook; undefined when BEFORE_SEND_URL is not set. */
    beforeSend: BeforeSendHook | undefined
  }
}

/** The one message service (send, history, sync, receipts, recall), threads, message-changes, polls and link-preview changes service of the app, and their socket events. */
export default fp(async (app) => {
  const deps = app.conversationsDeps
  const changes = createChangeStream(deps)
  app.decorate('threads', createThreads(deps))
  const { config } = app
  const beforeSend = config.BEFORE_SEND_URL === undefined || config.BEFORE_SEND_SECRET === undefined
    ? undefined
    : createBeforeSendHook({
      url: config.BEFORE_SEND_URL,
      secret: config.BEFORE_SEND_SECRET,
      timeoutMs: config.BEFORE_SEND_TIMEOUT_MS,
      onFailure: config.BEFORE_SEND_ON_FAILURE,
      allowedHosts: config.outboundAllowedHosts,
      conversationType: async (id) => (await app.prisma.conversation.findUnique({ where: { id }, select: { type: true } }))?.type
    })
  app.decorate('beforeSend', beforeSend)
  app.addHook('onClose', async () => { beforeSend?.close() })
  app.decorate('messages', createMessageService(deps, changes, app.threads, beforeSend))
  app.decorate('messageChanges', createMessageChanges(deps, changes))
  app.addHook('onClose', async () => { app.messageChanges.close() })
  registerMessageEvents(app.realtime, app.conversations, app.messages, app.messageChanges)
  app.decorate('polls', createPolls(deps, changes))
  registerPollEvents(app.realtime, app.polls)
  app.decorate('linkPreviewChanges', createLinkPreviewChanges(changes))
  registerLinkPreviewEvents(app.realtime, app.linkPreviewChanges)
}, { name: 'messages', dependencies: ['conversations', 'realtime'] })
