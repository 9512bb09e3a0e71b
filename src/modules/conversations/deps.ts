import type { Publish } from '../../plugins/realtime.js'
import type { SqlClient } from '../../db/drivers.js'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { FriendsService } from '../friends/service.js'
import type { PresenceStatus } from '../presence/plugin.js'

export interface ConversationLimits {
  textMaxChars: number
  customMaxBytes: number
  groupMaxMembers: number
  recallWindowS: number
  /** Seconds after sending during which the sender may edit (EDIT_WINDOW_S). */
  editWindowS: number
}

/** What the conversations services need from the outside; plain functions, no Fastify or socket types. */
export interface ConversationsDeps {
  prisma: PrismaClient
  /** Plain SQL for the send and history paths. */
  sql: SqlClient
  /** Send statements in flight at once on this node (1 on PGlite, which runs one query at a time). */
  sendConcurrency: number
  limits: ConversationLimits
  /** Live delivery to every device of each user (any node). */
  publish: Publish
  /** The app's friends service (friendship and blocks of a pair). */
  friends: Pick<FriendsService, 'relation'>
  presence: (userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
}
