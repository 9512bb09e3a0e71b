import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { DOCS_CSP, useCsp } from './security-headers.js'

/** One tag per module (conversations is split in three for readers of the document). */
const tags = [
  { name: 'auth', description: 'Accounts and sessions: register, login, token refresh, logout, password change' },
  { name: 'users', description: 'My profile, user search and user profiles with presence' },
  { name: 'friends', description: 'Friend requests and friendships' },
  { name: 'blocks', description: 'Blocking users: no requests, messages or presence between the two' },
  { name: 'conversations', description: 'Direct and group conversations I am a member of' },
  { name: 'messages', description: 'History, sending, read receipts, recall, edits, reactions, pins, delete and clear for me; the socket events do the same live' },
  { name: 'groups', description: 'Creating groups and managing their members' },
  { name: 'channels', description: 'Public channels: create, find, join (leave with DELETE /groups/:id/members/me); anyone signed in reads their history' },
  { name: 'threads', description: 'Threads: a conversation\'s threads, one thread\'s replies and my state of it (follow, read); replies are sent as messages with threadRootId' },
  { name: 'scheduled', description: 'My scheduled messages: schedule, list, edit, cancel; each is sent once at its time as an ordinary message' },
  { name: 'search', description: 'Finding my messages by English words or Chinese substrings' },
  { name: 'uploads', description: 'Files for image and file messages' },
  { name: 'push', description: 'Web Push: the VAPID key and my browsers\' push subscriptions' },
  { name: 'reports', description: 'Reporting a message or a user to the admins' },
  { name: 'bots', description: 'Bot accounts I own (token, webhook, delivery log); bots sign in with `Authorization: Bot <token>`' },
  { name: 'admin', description: 'Platform administration (admins only): users, suspensions, message removal, reports, audit log' },
  { name: 'Server API', description: 'For app backends, never browsers (`Authorization: Server <key>`): users by the app\'s own id, sessions minted for them, groups, friends and messages on their behalf; server keys are made by admins' },
  { name: 'meta', description: 'What this server is: its protocol and package versions' }
]

/**
 * OpenAPI generated from the route schemas; Swagger UI at /docs, JSON at /docs/json.
 * test/plugins/docs.test.ts lints it with redocly's recommended rules: every route needs an
 * operationId, a summary, a tag from the list above and `security` (`[]` when public).
 */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Relay IM API',
        version: '1.0.0',
        description: 'REST half of the wire contract; see docs/protocol.md for the socket events.',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' }
      },
      servers: [{ url: '/', description: 'The server that serves this document' }],
      tags,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, server: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Server rsk_…`: a server key (POST /api/admin/server-keys)' } } }
    }
  })
  // Swagger UI's own scope, so its routes alone get the CSP it needs.
  await app.register(async (ui) => {
    useCsp(ui, DOCS_CSP)
    await ui.register(swaggerUi, { routePrefix: '/docs' })
  })
}, { name: 'docs' })
