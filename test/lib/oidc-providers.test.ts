import t from 'tap'
import { parseOidcProviders } from '../../src/lib/oidc-providers.js'
import { loadConfig } from '../../src/config.js'
import { tempDir } from '../helper.js'

const good = { id: 'corp', name: 'Corp SSO', issuer: 'https://sso.example.com', clientId: 'relay', clientSecret: 's3cret' }

t.test('OIDC_PROVIDERS: a good list parses, "openid" is always asked for', async (t) => {
  t.same(parseOidcProviders(''), [])
  const [p] = parseOidcProviders(JSON.stringify([{ ...good, scopes: ['profile', 'email'] }]))
  t.same(p, { ...good, scopes: ['openid', 'profile', 'email'] })
  t.same(parseOidcProviders(JSON.stringify([{ ...good, clientSecret: undefined }]))[0]?.scopes, ['openid', 'profile'])
})

t.test('OIDC_PROVIDERS: each mistake is refused with a message naming it', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    ['{', /not JSON/],
    [{ ...good }, /must be a JSON array/],
    [[{ ...good, id: 'Corp!' }], /\.id must be/],
    [[good, good], /used twice/],
    [[{ ...good, issuer: 'ftp://sso.example.com' }], /issuer must be an http/],
    [[{ ...good, issuer: 'https://u:p@sso.example.com' }], /issuer must be/],
    [[{ ...good, issuer: 'not a url' }], /issuer is not a URL/],
    [[{ ...good, name: '' }], /\.name must be/],
    [[{ ...good, clientId: 5 }], /\.clientId must be/],
    [[{ ...good, clientSecret: '' }], /clientSecret/],
    [[{ ...good, scopes: ['openid', 'a b'] }], /scopes/],
    [[null], /\.id must be/]
  ]
  for (const [value, message] of bad) {
    t.throws(() => parseOidcProviders(typeof value === 'string' ? value : JSON.stringify(value)), message, JSON.stringify(value).slice(0, 60))
  }
})

t.test('config: providers need OIDC_PUBLIC_URL; a bad list stops the start', async (t) => {
  const base = { JWT_SECRET: 'x'.repeat(32), DATA_DIR: tempDir(t) }
  t.throws(() => loadConfig({}, { ...base, OIDC_PROVIDERS: JSON.stringify([good]) }), /needs OIDC_PUBLIC_URL/)
  t.throws(() => loadConfig({}, { ...base, OIDC_PROVIDERS: '[{}]', OIDC_PUBLIC_URL: 'https://chat.example.com' }), /OIDC_PROVIDERS\[0\]\.id/)
  t.throws(() => loadConfig({}, { ...base, OIDC_PUBLIC_URL: 'https://chat.example.com/path' }), /OIDC_PUBLIC_URL/, 'the public URL is an origin')
  const config = loadConfig({}, { ...base, OIDC_PROVIDERS: JSON.stringify([good]), OIDC_PUBLIC_URL: 'https://chat.example.com' })
  t.equal(config.oidcProviders.length, 1)
  t.equal(config.PASSWORD_SIGNUP, true)
  t.equal(config.OIDC_NEW_ACCOUNTS, 'create')
  t.equal(loadConfig({ PASSWORD_SIGNUP: 'false' }, base).PASSWORD_SIGNUP, false)
})
