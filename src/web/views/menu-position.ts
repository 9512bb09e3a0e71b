import { h } from '../dom.js'

/** Space kept between a menu and the window's edges, in pixels. */
const MARGIN = 8

/**
 * Places an open menu against the viewport (position: fixed), so no scrolling box or the
 * composer below it cuts it off: under its button, or above it when there is more room there,
 * and moved sideways to stay inside the window (a 390 px phone included).
 */
export function placeMenu (button: HTMLElement, pop: HTMLElement): void {
  pop.style.position = 'fixed'
  pop.style.left = '0px'
  pop.style.top = '0px'
  pop.style.right = 'auto'
  pop.style.bottom = 'auto'
  pop.style.maxHeight = ''
  const b = button.getBoundingClientRect()
  const width = pop.offsetWidth
  const height = pop.offsetHeight
  const vw = document.documentElement.clientWidth
  const vh = window.innerHeight
  const below = vh - b.bottom - MARGIN
  const above = b.top - MARGIN
  const up = height > below && above > below
  const room = up ? above : below
  if (height > room) pop.style.maxHeight = `${Math.max(room - 4, 80)}px`
  const top = up ? Math.max(MARGIN, b.top - Math.min(height, room) - 4) : b.bottom + 4
  // Aligned with the button's right edge, then kept inside the window.
  const left = Math.min(Math.max(MARGIN, b.right - width), vw - width - MARGIN)
  pop.style.top = `${Math.round(top)}px`
  pop.style.left = `${Math.round(Math.max(MARGIN, left))}px`
  pop.dataset.placement = up ? 'up' : 'down'
}

/**
 * The "⋯" button of a menu: opening it closes every other menu and places this one against
 * the viewport; `onToggle` hears whether it is now open.
 */
export function menuButton (pop: HTMLElement, attrs: { class: string, testid: string, label: string }, onToggle: (open: boolean) => void = () => {}): HTMLElement {
  const button: HTMLElement = h('button', {
    type: 'button',
    class: attrs.class,
    testid: attrs.testid,
    'aria-label': attrs.label,
    onclick: (e: MouseEvent) => {
      e.stopPropagation()
      const open = pop.hidden
      document.querySelectorAll<HTMLElement>('.menu-pop').forEach((other) => { other.hidden = true })
      pop.hidden = !open
      if (open) placeMenu(button, pop)
      onToggle(open)
    }
  }, '⋯')
  return button
}
