#!/usr/bin/env node
// A terminal chat with one friend, on @relay-im/client.
//
//   RELAY_URL=http://localhost:3000 RELAY_USER=alice RELAY_PASSWORD=... node index.mjs bob
//
// Each line you type is sent to the friend; their messages are printed as they arrive
// (and, after a reconnect, the ones missed meanwhile). End with Ctrl-D.
import { createInterface } from 'node:readline'
import { ClientError, createClient } from '@relay-im/client'

const url = process.env.RELAY_URL ?? 'http://localhost:3000'
const username = process.env.RELAY_USER
const password = process.env.RELAY_PASSWORD
const friendName = process.argv[2]
if (!username || !password || !friendName) {
  console.error('usage: RELAY_USER=<you> RELAY_PASSWORD=<password> [RELAY_URL=<server>] node index.mjs <friend username>')
  process.exit(2)
}

const client = createClient({ url, credentials: { username, password } })
client.on('status', (status) => console.error(`[${status}]`))
client.on('error', (err) => console.error(`[error] ${err.message}`))

try {
  await client.connect() // checks the protocol version, signs in, opens the socket
} catch (err) {
  console.error(`cannot connect: ${err instanceof ClientError ? err.code : ''} ${err.message}`)
  process.exit(1)
}

const friend = (await client.friends()).find((f) => f.user.username === friendName)
if (friend === undefined) {
  console.error(`${friendName} is not your friend yet (POST /api/friends/requests)`)
  client.close()
  process.exit(1)
}

// The direct conversation, created on first use: its last messages give the context.
const conversation = await client.directConversation(friend.user.id)
const { messages } = await client.history(conversation.id, { limit: 10 })
for (const m of messages.reverse()) print(m)

client.on('message:new', (m) => {
  if (m.conversationId !== conversation.id) return
  print(m)
  if (m.senderId !== client.user?.id) void client.markRead(m.conversationId, m.seq).catch(() => {})
})

function print (m) {
  const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content)
  console.log(`${m.sender.displayName}: ${text}`)
}

// Sends go through the SDK's outbox: queued while offline, sent in order, each stored once.
const sends = []
const input = createInterface({ input: process.stdin })
input.on('line', (line) => {
  if (line.trim() === '') return
  sends.push(client.send({ conversationId: conversation.id, type: 'text', content: line })
    .then(() => console.error('[sent]'), (err) => console.error(`[not sent: ${err.code}] ${line}`)))
})
input.on('close', async () => {
  await Promise.all(sends)
  client.close()
})
