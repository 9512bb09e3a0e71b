import { h } from '../dom.js'
import { t } from '../i18n/index.js'

/** Asks before a destructive action, in the page's language; resolves true on OK. */
export async function confirmDialog (question: string, ok = t('confirm.ok')): Promise<boolean> {
  return await new Promise((resolve) => {
    const done = (answer: boolean): void => { overlay.remove(); document.removeEventListener('keydown', onKey); resolve(answer) }
    const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') done(false) }
    const okButton = h('button', { type: 'button', class: 'primary danger-fill', testid: 'confirm-ok', onclick: () => { done(true) } }, ok)
    const overlay = h('div', { class: 'overlay', testid: 'confirm-dialog', role: 'alertdialog', 'aria-modal': 'true', onclick: (e: MouseEvent) => { if (e.target === overlay) done(false) } },
      h('div', { class: 'dialog' },
        h('p', { testid: 'confirm-text' }, question),
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', testid: 'confirm-cancel', onclick: () => { done(false) } }, t('confirm.cancel')),
          okButton)))
    document.addEventListener('keydown', onKey)
    document.body.append(overlay)
    okButton.focus()
  })
}

const ARMED_MS = 5000

/**
 * Buttons that ask "sure?" on the first click and act on the second. The armed state lives
 * here, keyed by the caller, not on the element: a view that redraws between the two clicks
 * (any message, receipt or presence change redraws the group panel) keeps it, so the second
 * click acts instead of asking again.
 */
export function confirmButtons (): (key: string, attrs: Record<string, string>, label: string, confirmLabel: string, act: () => void) => HTMLButtonElement {
  const armedUntil = new Map<string, number>()
  return (key, attrs, label, confirmLabel, act) => {
    const armed = (): boolean => (armedUntil.get(key) ?? 0) > Date.now()
    const b = h('button', { type: 'button', ...attrs }, armed() ? confirmLabel : label)
    b.dataset.confirm = String(armed())
    b.addEventListener('click', () => {
      if (armed()) {
        armedUntil.delete(key)
        act()
        return
      }
      armedUntil.set(key, Date.now() + ARMED_MS)
      b.dataset.confirm = 'true'
      b.textContent = confirmLabel
      setTimeout(() => { if (!armed()) { b.dataset.confirm = 'false'; b.textContent = label } }, ARMED_MS)
    })
    return b
  }
}
