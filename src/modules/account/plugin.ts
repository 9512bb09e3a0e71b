import fp from 'fastify-plugin'
import { createAccountService, type AccountService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance { account: AccountService }
}

/** The one account service of the app: deleting or exporting a person's account, erasing a bot's. */
export default fp(async (app) => {
  const { groups } = app
  app.decorate('account', createAccountService({
    prisma: app.prisma,
    uploadDir: app.config.UPLOAD_DIR,
    // Leaving a group hands ownership over as a member leaving does.
    leaveGroup: async (userId, groupId) => { await groups.removeMember(userId, groupId, userId) },
    endSessions: async (userId, atMs) => { await app.realtime.endSessions(userId, atMs) }
  }))
}, { name: 'account', dependencies: ['config', 'db', 'realtime', 'groups'] })
