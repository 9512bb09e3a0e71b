import { createBanService } from './bans.js'
import { createChangeStream } from './change-stream.js'
import { createChannelService } from './channel-service.js'
import { createConversationService } from './conversation-service.js'
import type { ConversationsDeps } from './deps.js'
import { createGroupService } from './group-service.js'
import { createInviteService } from './invites.js'
import { createMessageActions } from './message-actions.js'
import { createMessageService } from './message-service.js'
import { createSettingsService } from './settings.js'

export type { ConversationsDeps, ConversationLimits } from './deps.js'

/** The conversations module's logic: conversations, groups and messages on one set of deps. */
export function createConversationsService (deps: ConversationsDeps) {
  const conversations = createConversationService(deps)
  const changes = createChangeStream(deps)
  const groups = createGroupService(deps, conversations)
  return {
    conversations,
    groups,
    channels: createChannelService(deps, conversations),
    invites: createInviteService(deps, conversations),
    bans: createBanService(deps, groups),
    messages: createMessageService(deps, changes),
    actions: createMessageActions(deps, changes),
    settings: createSettingsService(deps)
  }
}

export type ConversationsService = ReturnType<typeof createConversationsService>
