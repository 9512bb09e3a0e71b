import { Parser } from 'htmlparser2'
import { sanitiseLabel } from '../../lib/text-policy.js'

/** What a page says about itself, cleaned: single-line labels (text policy), bounded; image as an absolute URL. */
export interface PageMeta {
  title?: string
  description?: string
  siteName?: string
  /** Absolute http(s) URL of the page's preview image, not fetched yet. */
  imageUrl?: string
}

export const TITLE_MAX = 200
export const DESCRIPTION_MAX = 500
export const SITE_NAME_MAX = 100

/**
 * Page text as it may be shown: white space (line breaks included) collapsed to one space,
 * then the label rule of the text policy (src/lib/text-policy.ts): control characters, NUL,
 * line separators, bidi controls and lone surrogates dropped, NFC; cut to `max` code points.
 * Blank gives undefined.
 */
export function cleanText (value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined
  const label = sanitiseLabel(value.replace(/\s+/gu, ' '), '')
  if (label === '') return undefined
  const points = [...label]
  return points.length <= max ? label : points.slice(0, max - 1).join('').trimEnd() + '…'
}

/** The `charset` parameter of a Content-Type value (header or `<meta http-equiv>`), if any. */
const charsetParam = (contentType: string | undefined): string | undefined =>
  /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1]

/** A decoder for an encoding label (WHATWG labels: gbk, gb2312, big5, shift_jis, euc-kr…), or undefined when unknown. */
function decoderFor (label: string | undefined): TextDecoder | undefined {
  if (label === undefined) return undefined
  try {
    return new TextDecoder(label.trim())
  } catch {
    return undefined
  }
}

/** How far into a page `<meta charset>` is looked for (the HTML prescan looks at 1024 bytes; pages often have more before it). */
export const META_CHARSET_SCAN_BYTES = 4096

/**
 * The encoding a page's `<meta charset>` or `<meta http-equiv="content-type" content="…;
 * charset=…">` names in its first bytes, read with htmlparser2 over those bytes as Latin-1
 * (the ASCII-compatible view the HTML prescan uses), or undefined.
 */
function metaCharset (body: Buffer): string | undefined {
  let found: string | undefined
  const parser = new Parser({
    onopentag (name, attrs) {
      if (found !== undefined || name !== 'meta') return
      if (attrs.charset !== undefined) found = attrs.charset
      else if ((attrs['http-equiv'] ?? '').trim().toLowerCase() === 'content-type') found = charsetParam(attrs.content)
    }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(body.subarray(0, META_CHARSET_SCAN_BYTES).toString('latin1'))
  parser.end()
  return found !== undefined && /^\s*utf-?16/i.test(found) ? 'utf-8' : found
}

/** A byte-order mark, which outranks every label (the HTML encoding sniffing rules). */
function bomEncoding (body: Buffer): string | undefined {
  if (body[0] === 0xEF && body[1] === 0xBB && body[2] === 0xBF) return 'utf-8'
  if (body[0] === 0xFE && body[1] === 0xFF) return 'utf-16be'
  if (body[0] === 0xFF && body[1] === 0xFE) return 'utf-16le'
  return undefined
}

/**
 * The body as text: in the encoding of its byte-order mark, else the charset its
 * Content-Type names, else its `<meta charset>` / `<meta http-equiv="content-type">`, else
 * UTF-8; an unknown label is skipped for the next source. (Many sites still serve GBK,
 * GB18030, Big5 or Shift_JIS; Node's TextDecoder, built with full ICU, knows them.) A meta
 * naming UTF-16 means UTF-8, as in browsers: the bytes read it were ASCII.
 */
export function decodeBody (body: Buffer, contentType: string | undefined): string {
  const decoder = decoderFor(bomEncoding(body)) ?? decoderFor(charsetParam(contentType)) ?? decoderFor(metaCharset(body)) ?? new TextDecoder('utf-8')
  return decoder.decode(body)
}

/** Meta names and properties read, in order of preference, per field. */
const TITLE_KEYS = ['og:title', 'twitter:title']
const DESCRIPTION_KEYS = ['og:description', 'twitter:description', 'description']
const SITE_KEYS = ['og:site_name', 'application-name']
const IMAGE_KEYS = ['og:image:secure_url', 'og:image:url', 'og:image', 'twitter:image', 'twitter:image:src']

/**
 * Reads Open Graph, Twitter card and plain HTML metadata (`<title>`, `<meta name=description>`)
 * with htmlparser2 (entities decoded by the parser). Only the first value of each key counts;
 * `<title>` inside `<svg>` is not the page's. The image URL is resolved against `base` and
 * kept only when it is http(s).
 */
export function parsePage (html: string, base: URL): PageMeta {
  const metas = new Map<string, string>()
  let title: string | undefined
  let inTitle = false
  let svgDepth = 0
  let titleText = ''
  const parser = new Parser({
    onopentag (name, attrs) {
      if (name === 'svg') svgDepth++
      if (name === 'title' && svgDepth === 0 && title === undefined) { inTitle = true; titleText = '' }
      if (name === 'meta') {
        const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase()
        if (key !== '' && attrs.content !== undefined && !metas.has(key)) metas.set(key, attrs.content)
      }
    },
    ontext (text) { if (inTitle) titleText += text },
    onclosetag (name) {
      if (name === 'svg' && svgDepth > 0) svgDepth--
      if (name === 'title' && inTitle) { inTitle = false; title = titleText }
    }
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true })
  parser.write(html)
  parser.end()
  const first = (keys: string[]): string | undefined => keys.map((k) => metas.get(k)).find((v) => v !== undefined && v.trim() !== '')
  let imageUrl: string | undefined
  const rawImage = first(IMAGE_KEYS)?.trim()
  if (rawImage !== undefined) {
    try {
      const u = new URL(rawImage, base)
      if (u.protocol === 'https:' || u.protocol === 'http:') imageUrl = u.href
    } catch {}
  }
  // The first value that is not blank once cleaned: an og:title of zero-width characters gives way to <title>.
  const firstClean = (keys: string[], max: number, fallback?: string): string | undefined => {
    for (const k of keys) {
      const v = cleanText(metas.get(k), max)
      if (v !== undefined) return v
    }
    return cleanText(fallback, max)
  }
  const meta: PageMeta = {}
  const t = firstClean(TITLE_KEYS, TITLE_MAX, title)
  const d = firstClean(DESCRIPTION_KEYS, DESCRIPTION_MAX)
  const s = firstClean(SITE_KEYS, SITE_NAME_MAX)
  if (t !== undefined) meta.title = t
  if (d !== undefined) meta.description = d
  if (s !== undefined) meta.siteName = s
  if (imageUrl !== undefined) meta.imageUrl = imageUrl
  return meta
}
