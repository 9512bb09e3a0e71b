import t from 'tap'
import type { LookupAddress } from 'node:dns'
import { createOutboundAgents, OutboundUrlError, parseAllowedHosts } from '../../../src/lib/outbound-url.js'
import { fetchFollowing, parsePage, previewUrlOf } from '../../../src/modules/link-previews/index.js'
import { startSite, type Site } from './site.js'

/** The URL a text previews, the parser on its own, and the connect-time address check (no app). */

const none = parseAllowedHosts('')

t.test('the first http(s) URL of a text, normalised, or none', async (t) => {
  t.equal(previewUrlOf('see https://Example.COM/a?b=1#frag.', none), 'https://example.com/a?b=1', 'host lower-cased, fragment and trailing dot dropped')
  t.equal(previewUrlOf('(https://a.example/x) and https://b.example/', none), 'https://a.example/x', 'the first; brackets end it')
  t.equal(previewUrlOf('https://a.example/\u202Egpj.exe', none), 'https://a.example/', 'a bidi control ends the URL')
  t.equal(previewUrlOf('https://a.example/x\u200By', none), 'https://a.example/x', 'so does a zero-width space')
  t.equal(previewUrlOf('https://bücher.example/', none), 'https://xn--bcher-kva.example/', 'IDN as punycode')
  t.equal(previewUrlOf('https://user:pw@a.example/', none), null, 'credentials: never fetched')
  t.equal(previewUrlOf('http://a.example/', none), null, 'plain http to a host not allowed')
  t.equal(previewUrlOf('http://127.0.0.1:8080/', parseAllowedHosts('127.0.0.1:8080')), 'http://127.0.0.1:8080/', 'allowed host:port')
  t.equal(previewUrlOf('https://10.0.0.1/', none), null, 'a private literal address')
  t.equal(previewUrlOf('https://[::1]/', none), null, 'loopback IPv6 literal')
  t.equal(previewUrlOf('javascript:alert(1) ftp://a.example data:text/html,x', none), null, 'other schemes')
  t.equal(previewUrlOf(`https://a.example/${'x'.repeat(3000)}`, none), null, 'too long')
  t.equal(previewUrlOf('no link', none), null)
})

t.test('the parser: Open Graph before Twitter before <title>; entities decoded; relative image resolved', async (t) => {
  const base = new URL('https://site.example/dir/page')
  t.same(parsePage('<title>T</title><meta name="twitter:title" content="TW"><meta property="og:title" content="OG &eacute;">', base), { title: 'OG é' })
  t.same(parsePage('<svg><title>icon</title></svg><title>Page</title><meta property="og:image" content="../img.png">', base),
    { title: 'Page', imageUrl: 'https://site.example/img.png' }, 'an <svg> title is not the page\'s')
  t.same(parsePage('<meta property="og:image" content="javascript:alert(1)"><title>x</title>', base), { title: 'x' }, 'only http(s) images')
  t.same(parsePage(`<title>${'a'.repeat(500)}</title>`, base).title?.length, 200, 'titles are cut to 200')
  t.same(parsePage('<title>\u0000\u202E \u200F</title>', base), {}, 'blank after the text policy: none')
})

t.test('connect time: a name that resolves to loopback is refused even on a second lookup (DNS rebinding)', async (t) => {
  const site: Site = await startSite()
  t.teardown(site.close)
  let lookups = 0
  // The first answer is public, every later one loopback: the check runs on the addresses the socket uses.
  const rebinding = ((host: string, opts: unknown, cb: (err: Error | null, addresses: LookupAddress[]) => void) => {
    lookups++
    cb(null, [{ address: '127.0.0.1', family: 4 }])
  }) as never
  const agents = createOutboundAgents({ lookup: rebinding })
  t.teardown(agents.destroy)
  const ctx = { allowedHosts: none, agents, timeoutMs: 2000 }
  await t.rejects(fetchFollowing(`https://rebind.example:${site.port}/og`, { accept: 'text/html', maxBytes: 1024 }, ctx), { code: 'EOUTBOUNDREFUSED' })
  t.equal(lookups, 1, 'resolved once, refused on what it resolved to')
  await t.rejects(fetchFollowing('https://127.0.0.1/og', { accept: 'text/html', maxBytes: 1024 }, ctx), OutboundUrlError, 'a loopback literal')
  t.same(site.hits, [], 'the site was never contacted')
})
