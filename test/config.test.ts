// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, ConfigSchema, loadConfig } from '../src/config.js'
import { tempDir } from './helper.js'

const SECRET = 'a-production-secret-of-at-least-32-chars'

function catchError (fn: () => unknown): Error | undefined {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  return undefined
}

t.test('production without JWT_SECRET refuses to start and writes nothing', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  t.throws(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir }),
    new ConfigError('JWT_SECRET is required when NODE_ENV=production (at least 32 characters)'))
  t.notOk(existsSync(dataDir), 'no secret file, not even the directory')
  t.equal(loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: SECRET }).JWT_SECRET, SECRET)
})

t.test('development without JWT_SECRET generates one, keeps it 0600 in DATA_DIR and reuses it', async (t) => {
  const dataDir = join(tempDir(t), 'not', 'yet', 'there')
  const first = loadConfig({ DATA_DIR: dataDir })
  t.equal(first.generatedSecret, true)
  t.ok(first.JWT_SECRET.length >= 32, 'long enough for HS256')
  const file = join(dataDir, 'jwt-secret')
  t.equal(readFileSync(file, 'utf8').trim(), first.JWT_SECRET)
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only')

  const second = loadConfig({ DATA_DIR: dataDir })
  t.equal(second.JWT_SECRET, first.JWT_SECRET, 'a restart keeps sessions valid')
  t.not(loadConfig({ DATA_DIR: join(tempDir(t), 'other') }).JWT_SECRET, first.JWT_SECRET, 'another data dir, another secret')
})

t.test('a given JWT_SECRET is used as is and nothing is written', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET })
  t.equal(config.JWT_SECRET, SECRET)
  t.equal(config.generatedSecret, false)
  t.notOk(existsSync(join(dataDir, 'jwt-secret')))
})

t.test('bad values stop the start with the variable named', async (t) => {
  const dataDir = tempDir(t)
  const bad: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://root@localhost/im'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_ADAPTER', 'sentinel'],
    ['JWT_SECRET', 'too-short'],
    ['LOG_LEVEL', 'verbose'],
    ['DB_POOL_MAX', '0'],
    ['TRUST_PROXY', 'sometimes']
  ]
  for (const [name, value] of bad) {
    const err = catchError(() => loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, [name]: value }))
    t.ok(err instanceof ConfigError, `${name}=${value} is a ConfigError`)
    t.match(err?.message, new RegExp(`^Invalid configuration: (.*; )?${name}: `), `${name}=${value} names ${name}`)
  }
})

t.test('values are converted from strings; empty means unset; defaults fill the rest', async (t) => {
  const dataDir = tempDir(t)
  const config = loadConfig({
    DATA_DIR: dataDir,
    JWT_SECRET: SECRET,
    PORT: '8080',
    TRUST_PROXY: 'true',
    DATABASE_URL: 'postgresql://u@db:5432/im',
    REDIS_URL: '',
    ALLOWED_ORIGINS: 'https://a.example, https://b.example,',
    UNRELATED: 'ignored'
  })
  t.equal(config.PORT, 8080)
  t.equal(config.TRUST_PROXY, true)
  t.equal(config.DATABASE_URL, 'postgresql://u@db:5432/im')
  t.equal(config.REDIS_URL, undefined)
  t.same(config.allowedOrigins, ['https://a.example', 'https://b.example'])
  t.equal(config.HOST, 'localhost')
  t.equal(config.NODE_ENV, 'development')
  t.equal(config.isProduction, false)
  t.equal(config.UPLOAD_DIR, join(dataDir, 'uploads'))
  t.ok(config.uploadMimeAllowlist.includes('image/png'))
})

t.test('the server process exits 1 with the reason when production has no JWT_SECRET', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }
  for (const key of ['JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'TEST_SERVICES']) delete env[key]
  // Run the real entry point as `npm run dev` would; the timeout makes a server that wrongly
  // starts fail the test instead of hanging it.
  const child = spawn(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), join('src', 'server.ts')], {
    env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000
  })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  child.stdout.resume()
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 1, 'exit code 1')
  t.match(stderr, /JWT_SECRET is required when NODE_ENV=production/)
  t.notOk(existsSync(dataDir), 'it wrote nothing')
})

t.test('README documents every configuration variable, and only those', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.split(/^## /m).find((s) => s.startsWith('Configuration\n'))
  t.ok(section, 'README has a Configuration section')
  const documented = [...(section ?? '').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1])
  t.same(documented.slice().sort(), Object.keys(ConfigSchema.properties).sort())
})
