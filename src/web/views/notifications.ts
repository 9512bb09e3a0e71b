import { h } from '../dom.js'
import { disablePush, enablePush, pushState, pushUnsupported } from '../push.js'
import type { Store } from '../store.js'

/**
 * The top bar's "Notifications" toggle: subscribes this browser to Web Push, or unsubscribes
 * it. A failure (no push service reachable, permission refused, a server without push) is
 * shown next to it and leaves the toggle off; the rest of the page goes on as before.
 */
export function notificationsToggle (store: Store): HTMLElement {
  const button = h('button', { class: 'small', type: 'button', testid: 'notifications-toggle', 'aria-pressed': 'false', 'data-state': 'off' }, 'Notifications: off')
  const message = h('span', { class: 'notice', testid: 'notifications-status', role: 'alert', hidden: true })
  let on = false
  let busy = false

  function show (state: 'on' | 'off' | 'busy' | 'error', text?: string): void {
    button.dataset.state = state
    button.setAttribute('aria-pressed', String(on))
    button.textContent = state === 'busy' ? 'Notifications…' : `Notifications: ${on ? 'on' : 'off'}`
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
