import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listen } from '../../helper.js'
import { makeGroup, makeUsers, text, type User } from '../conversations/helpers.js'
import { startPushService } from '../push/push-service.js'
import { createDelivery } from '../../../src/modules/push/delivery.js'

type App = Awaited<ReturnType<typeof listen>>['app']

async function ok (app: App, method: string, path: string, user: User, payload?: unknown): Promise<any> {
  const res = await app.inject({ method: method as 'POST', url: `/api${path}`, headers: user.auth, ...(payload === undefined ? {} : { payload: payload as any }) })
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
  return res.body === '' ? undefined : res.json()
}

t.test('push for a thread-only reply: its followers and the members it mentions, within the conversation\'s settings', async (t) => {
  const service = await startPushService()
  t.teardown(service.close)
  // Jobs are not worked here: the planner is asked directly who would be pushed.
  const { app } = await listen(t, { OUTBOUND_ALLOWED_HOSTS: new URL(service.origin).host, JOBS_WORKER: false })
  const [author, follower, bystander, muted] = await makeUsers(app, 4) as [User, User, User, User]
  const g = await makeGroup(app, author, [follower, bystander, muted])
  for (const u of [author, follower, bystander, muted]) await ok(app, 'POST', '/push/subscriptions', u, service.device().subscription)
  const planner = createDelivery({
    sql: app.sql,
    boss: app.jobs.boss,
    online: async () => new Set(),
    vapid: app.config.vapid!,
    preview: true,
    ttlS: 60,
    allowedHosts: app.config.outboundAllowedHosts,
    agents: undefined as never,
    log: app.log
  })
  const pushedFor = async (messageId: string): Promise<string[]> =>
    (await planner.plan(messageId)).map((j) => {
      const sub = (j.data as { subscriptionId: string }).subscriptionId
      return sub
    }).sort()
  const subsOf = async (u: User): Promise<string[]> => (await app.prisma.pushSubscription.findMany({ where: { userId: u.id }, select: { id: true } })).map((s) => s.id)

  const root = await ok(app, 'POST', `/conversations/${g}/messages`, author, text('root'))
  await ok(app, 'POST', `/conversations/${g}/messages`, follower, { ...text('I follow now'), threadRootId: root.id })
  await ok(app, 'POST', `/conversations/${g}/messages`, muted, { ...text('me too'), threadRootId: root.id })
  await ok(app, 'PATCH', `/conversations/${g}/settings`, muted, { notify: 'none' })

  const reply = await ok(app, 'POST', `/conversations/${g}/messages`, author, { ...text('thread only'), threadRootId: root.id })
  t.same(await pushedFor(reply.id), (await subsOf(follower)).sort(), 'only the follower: the bystander does not follow, the muted follower is muted')

  const mention = await ok(app, 'POST', `/conversations/${g}/messages`, author, { ...text('@bystander'), threadRootId: root.id, mentions: [bystander.id] })
  t.same(await pushedFor(mention.id), [...await subsOf(follower), ...await subsOf(bystander)].sort(), 'a mention reaches a member who does not follow')

  const loud = await ok(app, 'POST', `/conversations/${g}/messages`, author, { ...text('to everyone'), threadRootId: root.id, alsoInChat: true })
  t.same(await pushedFor(loud.id), [...await subsOf(follower), ...await subsOf(bystander)].sort(), 'also sent to the chat: every member the settings allow')

  await ok(app, 'PUT', `/conversations/${g}/threads/${root.id as string}/follow`, follower, { following: false })
  const after = await ok(app, 'POST', `/conversations/${g}/messages`, author, { ...text('after unfollow'), threadRootId: root.id, clientMsgId: randomUUID() })
  t.same(await pushedFor(after.id), [], 'nobody follows but the sender')
})
