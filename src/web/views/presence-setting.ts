import type { Me, PresenceVisibility } from '@relay-im/client'
import { h } from '../dom.js'
import type { Store } from '../store.js'
import { t, type Key } from '../i18n/index.js'

const CHOICES: Array<{ value: PresenceVisibility, label: Key }> = [
  { value: 'everyone', label: 'presence.everyone' },
  { value: 'contacts', label: 'presence.friends' },
  { value: 'nobody', label: 'presence.nobody' }
]

/** My setting of who sees whether I am online and when I was last seen (PATCH /users/me). */
export function presenceSetting (store: Store): HTMLElement {
  const { client } = store
  const select = h('select', { testid: 'presence-visibility', 'aria-label': t('presence.whoLabel'), title: t('presence.whoTitle') },
    ...CHOICES.map((o) => h('option', { value: o.value }, t(o.label))))
  const show = (v: PresenceVisibility | undefined): void => {
    if (v === undefined) return
    select.value = v
    select.dataset.value = v
  }
  const known = (store.me as Partial<Me>).presenceVisibility
  if (known !== undefined) show(known)
  else void client.me().then((me) => { show(me.presenceVisibility) }, () => {})
  select.addEventListener('change', () => {
    const wanted = select.value as PresenceVisibility
    select.disabled = true
    void client.setPresenceVisibility(wanted).then((me) => { show(me.presenceVisibility) }, () => { show((client.user as Partial<Me> | undefined)?.presenceVisibility) })
      .finally(() => { select.disabled = false })
  })
  return h('label', { class: 'presence-setting small' }, h('span', { class: 'n-long' }, t('presence.lastSeenLabel')), select)
}
