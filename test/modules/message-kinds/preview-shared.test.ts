import t from 'tap'
import { randomUUID } from 'node:crypto'
import { befriend, listen, registerUser } from '../../helper.js'
import { MESSAGE_TYPES, previewOf } from '../../../src/modules/message-kinds/index.js'
import { quoteText } from '../../../src/web/views/chat/quote.js'

/**
 * One quote rule: the page computes a reply's quote of an edited or recalled message itself
 * (src/web/views/chat/quote.ts); it must say what the server's `replyTo.preview` says. Both
 * use the SDK's messagePreview; here they are held against each other for every kind, and
 * against real replies served by the server (through each kind's quoteSql).
 */
const long = '😀'.repeat(60) + 'é'.repeat(60)
const samples: Record<string, unknown[]> = {
  text: ['hello', long, 'x'.repeat(100), 'x'.repeat(101), ' 王小明 '],
  image: [{ url: '/a.png', name: 'a.png', size: 1, mime: 'image/png' }],
  file: [{ url: '/a.pdf', name: 'plan.pdf', size: 1, mime: 'application/pdf' }, { name: 'n'.repeat(200) }, {}],
  custom: [{ kind: 'card' }],
  system: [{ event: 'member_joined' }],
  poll: [{ question: 'Lunch?', options: ['a', 'b'] }, { question: 'q'.repeat(150) }, {}]
}

t.test('the page\'s quote of each kind is the server\'s preview', async (t) => {
  t.same(Object.keys(samples).sort(), [...MESSAGE_TYPES].sort(), 'a sample of every kind')
  for (const type of MESSAGE_TYPES) {
    for (const content of samples[type]!) {
      t.equal(quoteText({ type, content: content as any, recalled: false }), previewOf(type, content), `${type}: ${JSON.stringify(content).slice(0, 40)}`)
    }
  }
  t.equal(quoteText({ type: 'text', content: 'gone', recalled: true }), '', 'recalled: empty, as replyTo.preview')
})

t.test('against replies the server serves: replyTo.preview is the page\'s quote of the original', async (t) => {
  const { app } = await listen(t)
  const [a, b] = [await registerUser(app), await registerUser(app)]
  await befriend(app, a, b)
  const conversationId = (await app.inject({ method: 'POST', url: '/api/conversations/direct', headers: a.auth, payload: { userId: b.id } })).json().id as string
  const send = async (payload: object): Promise<any> => {
    const res = await app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, headers: a.auth, payload: { clientMsgId: randomUUID(), ...payload } })
    t.equal(res.statusCode, 201, res.body)
    return res.json()
  }
  const originals = [
    await send({ type: 'text', content: long }),
    await send({ type: 'text', content: 'short' }),
    await send({ type: 'custom', content: { kind: 'card' } }),
    await send({ type: 'poll', content: { question: 'q'.repeat(150), options: ['yes', 'no'] } })
  ]
  for (const original of originals) {
    const reply = await send({ type: 'text', content: 'answer', replyTo: original.id })
    t.equal(reply.replyTo.preview, quoteText(original), `${original.type as string}: the same text`)
  }
})
