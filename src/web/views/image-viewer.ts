import { h } from '../dom.js'
import { t } from '../i18n/index.js'

/** An image over the page, as large as fits; Escape, the ✕ or a click outside closes it. */
export function openImageViewer (src: string, alt: string): void {
  const close = (): void => { overlay.remove(); document.removeEventListener('keydown', onKey) }
  const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') close() }
  const overlay = h('div', { class: 'viewer', testid: 'image-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('viewer.label'), onclick: (e: MouseEvent) => { if (e.target === overlay) close() } },
    h('img', { src, alt, testid: 'viewer-image' }),
    h('div', { class: 'viewer-bar' },
      h('a', { href: src, target: '_blank', rel: 'noopener noreferrer', class: 'viewer-open', testid: 'viewer-open' }, t('viewer.open')),
      h('button', { type: 'button', class: 'viewer-close', testid: 'viewer-close', 'aria-label': t('viewer.close'), onclick: close }, '✕')))
  document.addEventListener('keydown', onKey)
  document.body.append(overlay)
  overlay.querySelector<HTMLButtonElement>('.viewer-close')?.focus()
}
