import fp from 'fastify-plugin'
import { createBanService, type BanService } from './bans.js'
import { createInviteService, type InviteService } from './invites.js'
import { createGroupService, type GroupService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    groups: GroupService
    groupInvites: InviteService
    groupBans: BanService
  }
}

/** The one groups service of the app (also used by account and bot deletion to leave groups), its invites and bans. */
export default fp(async (app) => {
  const deps = app.conversationsDeps
  const groups = createGroupService(deps, app.conversations)
  app.decorate('groups', groups)
  app.decorate('groupInvites', createInviteService(deps, app.conversations))
  app.decorate('groupBans', createBanService(deps, groups))
}, { name: 'groups', dependencies: ['conversations'] })
