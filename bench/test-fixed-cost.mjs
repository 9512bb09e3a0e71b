// Runs bench/test-fixed-cost.ts in `runs` fresh processes (one after another, the way a test
// file runs) and prints the median, p99 and max CPU seconds of each phase and of the whole process.
import { spawnSync } from 'node:child_process'

const runs = Number(process.argv[2] ?? 5)
// Another probe file (a copy importing another helper, to compare two versions under one load).
const probe = process.argv[3] ?? 'bench/test-fixed-cost.ts'
const args = ['--conditions=@relay-im/source', '--import=./test/typescript-loader.mjs', probe]
const samples = []
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, TAP: '1' } })
  const line = r.stderr.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)
  if (r.status !== 0 || line === undefined) { process.stderr.write(r.stdout + r.stderr); process.exit(1) }
  samples.push(JSON.parse(line))
}
const pick = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] }
for (const key of Object.keys(samples[0])) {
  const xs = samples.map((s) => s[key])
  console.log(`${key.padEnd(9)} p50 ${pick(xs, 0.5).toFixed(3)}  p99 ${pick(xs, 0.99).toFixed(3)}  max ${Math.max(...xs).toFixed(3)}  (CPU s, ${runs} runs)`)
}
