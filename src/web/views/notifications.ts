import { h } from '../dom.js'
import { disablePush, enablePush, pushState, pushUnsupported } from '../push.js'
import type { Store } from '../store.js'
import { t } from '../i18n/index.js'
import { bell } from './icons.js'


/**
 * The top bar's "Notifications" toggle: subscribes this browser to Web Push, or unsubscribes
 * it. A failure (no push service reachable, permission refused, a server without push) is
 * shown next to it and leaves the toggle off; the rest of the page goes on as before.
 */
export function notificationsToggle (store: Store): HTMLElement {
  // "Notifications: on/off"; phones show a bell instead of the word (see styles.css).
  const label = h('span', { testid: 'notifications-state' }, t('notify.off'))
  const button = h('button', { class: 'small', type: 'button', testid: 'notifications-toggle', 'aria-pressed': 'false', 'data-state': 'off', 'aria-label': t('notify.label'), title: t('notify.title') },
    h('span', { class: 'n-long' }, t('notify.long')), h('span', { class: 'n-short', 'aria-hidden': 'true' }, bell()), label)
  const message = h('span', { class: 'notice', testid: 'notifications-status', role: 'alert', hidden: true, title: t('notify.dismiss'), onclick: () => { message.hidden = true } })
  let on = false
  let busy = false

  function show (s: 'on' | 'off' | 'busy' | 'error', text?: string): void {
    button.dataset.state = s
    button.setAttribute('aria-pressed', String(on))
    label.textContent = s === 'busy' ? '…' : on ? t('notify.on') : t('notify.off')
    button.disabled = busy
    message.hidden = text === undefined
    message.textContent = text ?? ''
  }

  button.addEventListener('click', () => {
    if (busy) return
    busy = true
    show('busy')
    const wanted = !on
    void (wanted ? enablePush(store.client, store.me) : disablePush(store.client, store.me)).then(() => {
      on = wanted
      busy = false
      show(on ? 'on' : 'off')
    }, (err: unknown) => {
      busy = false
      if (wanted) on = false
      show('error', err instanceof Error ? err.message : String(err))
    })
  })

  const unsupported = pushUnsupported()
  if (unsupported !== undefined) {
    button.disabled = true
    button.title = unsupported
  } else {
    void pushState(store.me).then((s) => {
      if (busy) return
      on = s.on
      show(on ? 'on' : 'off')
    }, () => {})
  }
  return h('span', { class: 'notifications' }, button, message)
}
