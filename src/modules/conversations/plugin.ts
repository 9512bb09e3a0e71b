import fp from 'fastify-plugin'
import { conversationsDeps } from './app-deps.js'
import type { ConversationsDeps } from './deps.js'
import { createConversationService, type ConversationService } from './service.js'
import { createSettingsService, type SettingsService } from './settings.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The wired dependencies every conversation service (messages, groups, channels) is built on. */
    conversationsDeps: ConversationsDeps
    conversations: ConversationService
    conversationSettings: SettingsService
  }
}

/** The one conversation service of the app (its direct-id cache is shared by every caller) and the per-member settings. */
export default fp(async (app) => {
  const deps = conversationsDeps(app)
  app.decorate('conversationsDeps', deps)
  app.decorate('conversations', createConversationService(deps))
  app.decorate('conversationSettings', createSettingsService(deps))
}, { name: 'conversations', dependencies: ['config', 'db', 'delivery', 'friends', 'presence'] })
