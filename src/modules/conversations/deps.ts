import type { Delivery } from '../../delivery/index.js'
import type { SqlClient } from '../../db/drivers.js'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { FriendsService } from '../friends/index.js'
import type { PresenceStatus } from '../presence/index.js'
import type { AllowedHosts } from '../../lib/outbound-url.js'

export interface ConversationLimits {
  textMaxChars: number
  customMaxBytes: number
  groupMaxMembers: number
  /** CHANNEL_MAX_MEMBERS: a join beyond it is CONFLICT. */
  channelMaxMembers: number
  recallWindowS: number
  /** Seconds after sending during which the sender may edit (EDIT_WINDOW_S). */
  editWindowS: number
  /** Retention: the days an owner or admin may set as a group's or channel's policy (RETENTION_MIN_DAYS..RETENTION_MAX_DAYS). */
  retentionMinDays: number
  retentionMaxDays: number
}

/** What the conversations services need from the outside; plain functions, no Fastify or socket types. */
export interface ConversationsDeps {
  prisma: PrismaClient
  /** For work done after an answer was sent (nobody is left to receive its error). */
  log?: { warn: (obj: object, msg: string) => void }
  /** Plain SQL for the send and history paths. */
  sql: SqlClient
  /** The send statement's connections (generic plans on PostgreSQL; see Database.sendSql). */
  sendSql: SqlClient
  /** Send statements in flight at once on this node (1 on PGlite, which runs one query at a time). */
  sendConcurrency: number
  /** Message-change transactions (edits, reactions, pins) holding a pooled connection at once. */
  changeConcurrency: number
  /** Sends waiting beyond this many are refused with RATE_LIMITED at once (a bound on the backlog's memory). */
  sendQueueMax: number
  limits: ConversationLimits
  /** After a change commits: `deliver` hands it to its subscribers (src/delivery); channel room membership. */
  delivery: Delivery
  /** The app's friends service (friendship and blocks of a pair). */
  friends: Pick<FriendsService, 'relation'>
  /** What `viewerId` may see of each user's presence (presence/visibility.ts). */
  presence: (viewerId: string, userIds: readonly string[]) => Promise<Map<string, PresenceStatus>>
  /** Link previews (LINK_PREVIEWS): sends and edits queue a fetch for a text's first URL; absent: off. */
  linkPreviews?: { allowedHosts: AllowedHosts }
}
