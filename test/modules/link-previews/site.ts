import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A 1x1 PNG (valid magic number and structure). */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

export interface Site {
  origin: string
  /** `127.0.0.1:port`, for OUTBOUND_ALLOWED_HOSTS. */
  host: string
  port: number
  /** Paths requested so far, in order. */
  hits: string[]
  /** Bytes written to the socket of each response to `path` (what left before the client hung up). */
  sent: Map<string, number>
  /** TCP connections accepted so far (a TLS attempt to this plain-HTTP server counts, though it makes no hit). */
  connections: number
  close: () => Promise<void>
}

type Page = (req: http.IncomingMessage, res: http.ServerResponse, site: Site) => void

const html = (body: string): Page => (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
  res.end(body)
}

/**
 * The pages the link-preview tests fetch, served for real on 127.0.0.1 (listed in
 * OUTBOUND_ALLOWED_HOSTS by the tests, the only way a loopback server is reachable).
 */
export async function startSite (extra: Record<string, Page> = {}): Promise<Site> {
  const pages: Record<string, Page> = {
    '/og': html(`<!doctype html><html><head><meta property="og:title" content="Open &amp; Graph">
      <meta property="og:description" content="The OG description">
      <meta property="og:site_name" content="Example Site"><meta property="og:image" content="/logo.png">
      <title>Ignored title</title></head><body>x</body></html>`),
    '/twitter': html(`<html><head><meta name="twitter:card" content="summary"><meta name="twitter:title" content="Twitter title">
      <meta name="twitter:description" content="Twitter description"></head></html>`),
    '/plain': html('<html><head><title>  Just a\n title </title><meta name="description" content="Plain description"></head><body></body></html>'),
    '/nothing': html('<html><body>no metadata at all</body></html>'),
    '/hostile': html('<html><head><title>Safe\u202Egnp.exe\u0000 title\u200F</title><meta property="og:description" content="line1\nline2\u2028\u2066x\u2069"></head></html>'),
    '/idn-title': html('<html><head><title>пример ‮evil</title></head></html>'),
    '/loopback-image': html('<html><head><meta property="og:title" content="Image on loopback"><meta property="og:image" content="https://127.0.0.2/secret.png"></head></html>'),
    '/logo.png': (_req, res) => { res.writeHead(200, { 'content-type': 'image/png' }); res.end(PNG) },
    '/fake.png': (_req, res) => { res.writeHead(200, { 'content-type': 'image/png' }); res.end('<svg>not a png</svg>') },
    '/fake-image': html('<html><head><meta property="og:title" content="Fake image"><meta property="og:image" content="/fake.png"></head></html>'),
    '/json': (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"title":"<title>not html</title>"}') },
    '/huge': (_req, res) => {
      // The early title is read; the og:title after 3 MB is past LINK_PREVIEW_PAGE_MAX_BYTES.
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<html><head><title>Early title</title>')
      const chunk = `<!-- ${'x'.repeat(64 * 1024)} -->`
      let left = 48
      const more = (): void => {
        while (left > 0) {
          left--
          if (!res.write(chunk)) { res.once('drain', more); return }
        }
        res.end('<meta property="og:title" content="Late title"></head></html>')
      }
      more()
    },
    '/slow': (_req, res) => {
      // Headers and the start of a page, then nothing: the fetch must give up on its own.
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<html><head><title>Slow')
    },
    '/redirect-ok': (_req, res) => { res.writeHead(302, { location: '/og' }); res.end() },
    '/redirect-loopback': (_req, res, site) => { res.writeHead(302, { location: `https://localhost:${site.port}/og` }); res.end() },
    '/redirect-private': (_req, res) => { res.writeHead(301, { location: 'http://10.0.0.1/admin' }); res.end() },
    '/redirect-loop': (_req, res) => { res.writeHead(302, { location: '/redirect-loop' }); res.end() },
    ...extra
  }
  const site: Site = { origin: '', host: '', port: 0, hits: [], sent: new Map(), connections: 0, close: async () => {} }
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    site.hits.push(path)
    res.on('close', () => { site.sent.set(path, req.socket.bytesWritten) })
    const page = pages[path]
    if (page === undefined) { res.writeHead(404); res.end(); return }
    page(req, res, site)
  })
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s) => { site.connections++; sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  site.port = port
  site.host = `127.0.0.1:${port}`
  site.origin = `http://127.0.0.1:${port}`
  site.close = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  }
  return site
}
