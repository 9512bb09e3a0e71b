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

const charsetOf = (contentType: string | undefined): string => {
  const m = /charset\s*=\s*"?([\w.:-]+)"?/i.exec(contentType ?? '')
  return m?.[1]?.toLowerCase() ?? 'utf-8'
}

/** The body as text, in the charset its Content-Type names (UTF-8 when none or unknown). */
export function decodeBody (body: Buffer, contentType: string | undefined): string {
  try {
    return new TextDecoder(charsetOf(contentType)).decode(body)
  } catch {
    return new TextDecoder('utf-8').decode(body)
  }
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
  const meta: PageMeta = {}
  const t = cleanText(first(TITLE_KEYS) ?? title, TITLE_MAX)
  const d = cleanText(first(DESCRIPTION_KEYS), DESCRIPTION_MAX)
  const s = cleanText(first(SITE_KEYS), SITE_NAME_MAX)
  if (t !== undefined) meta.title = t
  if (d !== undefined) meta.description = d
  if (s !== undefined) meta.siteName = s
  if (imageUrl !== undefined) meta.imageUrl = imageUrl
  return meta
}
