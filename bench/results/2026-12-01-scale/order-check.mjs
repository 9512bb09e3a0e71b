import { Redis } from 'ioredis'
const pub = new Redis('redis://127.0.0.1:6379'); const sub = pub.duplicate()
const id = Math.random().toString(36).slice(2)
const plain = `ordercheck:${id}:plain`, shard = `ordercheck:${id}:shard`
const got = []
sub.on('message', (_c, m) => got.push(m)); sub.on('smessage', (_c, m) => got.push(m))
await sub.subscribe(plain); await sub.ssubscribe(shard)
const N = 20000
for (let i = 0; i < N; i++) { if (i % 2 === 0) pub.publish(plain, String(i)); else pub.spublish(shard, String(i)) }
while (got.length < N) await new Promise((r) => setTimeout(r, 20))
let bad = 0; for (let i = 0; i < N; i++) if (got[i] !== String(i)) bad++
console.log(`received ${got.length}, out of order ${bad}`)
process.exit(0)
