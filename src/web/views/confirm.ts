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
