/**
 * Inline SVG icons (emoji fonts are not everywhere, and no icon font or image is requested):
 * one builder, each icon its path.
 */
const SVG = 'http://www.w3.org/2000/svg'

function icon (d: string, opts: { className?: string, filled?: boolean, size?: number } = {}): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  if (opts.className !== undefined) svg.setAttribute('class', opts.className)
  if (opts.size !== undefined) {
    svg.setAttribute('width', String(opts.size))
    svg.setAttribute('height', String(opts.size))
  }
  svg.setAttribute('aria-hidden', 'true')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  if (opts.filled === true) path.setAttribute('fill', 'currentColor')
  svg.append(path)
  return svg
}

/** The attach button and file rows. */
export const paperclip = (): SVGSVGElement => icon('M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9', { className: 'icon' })

/** A pinned conversation in the list. */
export const pinIcon = (): SVGSVGElement => icon('M9 4h6l-1 6 3 3H7l3-3-1-6M12 13v7', { className: 'icon small-icon' })

/** A muted conversation in the list: a bell struck through. */
export const mutedIcon = (): SVGSVGElement => icon('M6 16V11a6 6 0 0 1 9.5-4.9M18 11v5l2 2H7M10 20a2 2 0 0 0 4 0M3 3l18 18', { className: 'icon small-icon' })

/** The notifications toggle on phones, in place of the word. */
export const bell = (): SVGSVGElement => icon('M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z', { filled: true, size: 14 })
