// An app's own backend, in plain Node (no framework, no dependencies), on relay-im's server API.
//
//   RELAY_URL=http://localhost:3000 RELAY_SERVER_KEY=rsk_… HOOK_SECRET=… EVENTS_SECRET=… PORT=4000 node server.mjs
//
// - POST /session {userId, name}: after *your* app has signed its user in (here: trusted as
//   given; in a real app, your own session check), upsert them in relay-im by your id and hand
//   back an access and refresh token for the chat client (SDK: createClient({ url, token, refreshToken })).
// - POST /rooms {owner, name, members}: a group, and a welcome message from its owner.
// - POST /before-send: relay-im's before-send hook (BEFORE_SEND_URL=http://host:4000/before-send,
//   BEFORE_SEND_SECRET=$HOOK_SECRET): checks the signature, refuses "spam", masks "darn".
// - POST /app-events: relay-im's app events (APP_EVENTS_URL=http://host:4000/app-events,
//   APP_EVENTS_SECRET=$EVENTS_SECRET): checks the signature, keeps each event once (by id: a
//   retry after a lost answer repeats it), and answers "/help" in any conversation with a
//   system message. GET /app-events: what it kept, in arrival order.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'

const RELAY_URL = process.env.RELAY_URL ?? 'http://localhost:3000'
const KEY = process.env.RELAY_SERVER_KEY
const HOOK_SECRET = process.env.HOOK_SECRET ?? ''
const EVENTS_SECRET = process.env.EVENTS_SECRET ?? HOOK_SECRET
if (KEY === undefined) {
  console.error('RELAY_SERVER_KEY is required (npm run admin -- server-key create my-app users,conversations,messages)')
  process.exit(2)
}

/** One call to the server API; throws with relay-im's error code on a refusal. */
async function relay (method, path, body) {
  const res = await fetch(`${RELAY_URL}/api/server${path}`, {
    method,
    headers: { authorization: `Server ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  const json = text === '' ? null : JSON.parse(text)
  if (!res.ok) throw Object.assign(new Error(json?.error?.message ?? res.statusText), { status: res.status, code: json?.error?.code })
  return json
}

/** `x-relay-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, at most 5 minutes old. */
function signed (header, body, secret = HOOK_SECRET) {
  const parts = Object.fromEntries(String(header ?? '').split(',').map((kv) => kv.split('=')))
  const t = Number(parts.t)
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300 || typeof parts.v1 !== 'string') return false
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest()
  const given = Buffer.from(parts.v1, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

async function readBody (req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

/** App events kept once each, by id, in arrival order (a real app would store them). */
const events = []
const seen = new Set()

const routes = {
  'POST /session': async ({ userId, name }) => {
    await relay('PUT', `/users/${encodeURIComponent(userId)}`, { displayName: name })
    const { accessToken, refreshToken, user } = await relay('POST', `/users/${encodeURIComponent(userId)}/tokens`)
    return { relayUrl: RELAY_URL, accessToken, refreshToken, relayUserId: user.id }
  },
  'POST /rooms': async ({ owner, name, members }) => {
    const group = await relay('POST', '/groups', { owner, name, members })
    await relay('POST', `/conversations/${group.id}/messages`, { as: owner, clientMsgId: randomUUID(), type: 'text', content: `Welcome to ${name}!` })
    return { conversationId: group.id }
  },
  'POST /before-send': async (call) => {
    const content = call.message.content
    if (call.message.type !== 'text' || typeof content !== 'string') return { action: 'allow' }
    if (/\bspam\b/i.test(content)) return { action: 'reject', code: 'spam' }
    if (/darn/i.test(content)) return { action: 'replace', content: content.replace(/darn/gi, '****') }
    return { action: 'allow' }
  },
  'POST /app-events': async (event) => {
    if (seen.has(event.id)) return {}
    seen.add(event.id)
    events.push({ id: event.id, type: event.type, data: event.data })
    const m = event.data.message
    if (event.type === 'message.sent' && m.type === 'text' && m.content === '/help') {
      // Idempotent by clientMsgId: answering the same event twice makes one message.
      await relay('POST', `/conversations/${m.conversationId}/system-messages`, { clientMsgId: `help-${event.id}`, text: 'Commands: /help' })
    }
    return {}
  },
  'GET /app-events': async () => events
}

const server = createServer(async (req, res) => {
  const send = (status, obj) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(obj)) }
  try {
    const route = routes[`${req.method} ${req.url}`]
    if (route === undefined) return send(404, { error: 'not found' })
    const body = await readBody(req)
    if (req.url === '/before-send' && !signed(req.headers['x-relay-signature'], body)) return send(401, { error: 'bad signature' })
    if (req.method === 'POST' && req.url === '/app-events' && !signed(req.headers['x-relay-signature'], body, EVENTS_SECRET)) return send(401, { error: 'bad signature' })
    send(200, await route(JSON.parse(body || '{}')))
  } catch (err) {
    send(err.status ?? 500, { error: err.code ?? 'INTERNAL', message: err.message })
  }
})
server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`app backend on http://${process.env.HOST ?? '127.0.0.1'}:${server.address().port}`)
})
