/** How many leading bytes `matchesMagic` needs. */
export const SNIFF_BYTES = 16

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0))

/** Leading bytes of each type we can recognise; `null` matches any byte. */
const MAGIC: Record<string, Array<Array<number | null>>> = {
  'image/png': [[0x89, ...ascii('PNG\r\n'), 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [ascii('GIF87a'), ascii('GIF89a')],
  'image/webp': [[...ascii('RIFF'), null, null, null, null, ...ascii('WEBP')]],
  'application/pdf': [ascii('%PDF-')],
  // local file header, or the end record of an empty archive
  'application/zip': [[...ascii('PK'), 0x03, 0x04], [...ascii('PK'), 0x05, 0x06]]
}

const startsWith = (head: Uint8Array, pattern: Array<number | null>) =>
  head.length >= pattern.length && pattern.every((b, i) => b === null || head[i] === b)

/** The known type whose magic number `head` starts with, if any. */
export function sniffType (head: Uint8Array): string | undefined {
  for (const [mime, patterns] of Object.entries(MAGIC)) {
    if (patterns.some((p) => startsWith(head, p))) return mime
  }
  return undefined
}

/**
 * Whether the first bytes agree with the declared type: a type with a magic number must
 * start with it, and a type without one (e.g. text/plain) must not be one of the types we
 * recognise (a PNG or PDF is not text).
 */
export function matchesMagic (mime: string, head: Uint8Array): boolean {
  const patterns = MAGIC[mime]
  if (patterns !== undefined) return patterns.some((p) => startsWith(head, p))
  return sniffType(head) === undefined
}
