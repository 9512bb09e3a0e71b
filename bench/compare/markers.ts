export const BEGIN = '<!-- bench:compare:begin -->'
export const END = '<!-- bench:compare:end -->'

/**
 * `doc` with what lies between the markers replaced by `content` (the markers kept). Without
 * markers, the section goes after the document's first heading line. Markers out of order or
 * repeated are an error: rewriting would lose text.
 */
export function replaceBetweenMarkers (doc: string, content: string): string {
  const begin = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  const block = `${BEGIN}\n${content.trim()}\n${END}`
  if (begin < 0 && end < 0) {
    const eol = doc.indexOf('\n')
    if (eol < 0) return `${doc}\n\n${block}\n`
    return `${doc.slice(0, eol + 1)}\n${block}\n${doc.slice(eol + 1)}`
  }
  if (begin < 0 || end < 0 || end < begin || doc.indexOf(BEGIN, begin + 1) >= 0 || doc.indexOf(END, end + 1) >= 0) {
    throw new Error(`BENCHMARKS.md: expected one ${BEGIN} before one ${END}`)
  }
  return doc.slice(0, begin) + block + doc.slice(end + END.length)
}
