import { ClientError } from '@relay-im/client'
import { h, replace } from '../dom.js'
import type { Store } from '../store.js'
import { errorText, t } from '../i18n/index.js'

/** The code of an invite link's hash, `#/invite/<code>`. */
export function inviteCode (hash: string): string | undefined {
  const m = /^#\/invite\/([A-Za-z0-9_-]{1,128})$/.exec(hash)
  return m?.[1]
}

/**
 * The join page of an invite link: what it leads to (name, topic, members), then Join.
 * An expired, used-up or revoked link says so.
 */
export function invitePage (store: Store, code: string, open: (conversationId: string) => void, close: () => void): HTMLElement {
  const { client } = store
  const body = h('div', { class: 'invite-body' }, h('p', { class: 'muted' }, t('invite.loading')))
  const error = h('p', { class: 'error', role: 'alert', testid: 'invite-error' })
  const overlay = h('div', { class: 'overlay' },
    h('div', { class: 'dialog', testid: 'invite-page', role: 'dialog', 'aria-label': t('invite.label') },
      h('h2', {}, t('invite.title')), body, error,
      h('div', { class: 'dialog-actions', testid: 'invite-actions' }, h('button', { type: 'button', testid: 'invite-cancel', onclick: close }, t('invite.notNow')))))

  void (async () => {
    try {
      const { conversation: c } = await client.previewInvite(code)
      const member = store.conversations.has(c.id)
      replace(body,
        h('h3', { class: 'invite-name', testid: 'invite-name' }, c.name),
        c.topic !== null && c.topic !== '' ? h('p', { testid: 'invite-topic' }, c.topic) : null,
        h('p', { class: 'muted', testid: 'invite-members' }, t('chat.members', { count: c.memberCount })))
      const join = h('button', {
        type: 'button',
        class: 'primary',
        testid: 'invite-join',
        onclick: async () => {
          join.disabled = true
          error.textContent = ''
          try {
            if (!member) store.add(await client.joinInvite(code))
            close()
            open(c.id)
          } catch (err) {
            join.disabled = false
            error.textContent = errorText(err)
          }
        }
      }, member ? t('invite.open') : t('invite.join'))
      overlay.querySelector('[data-testid="invite-actions"]')?.append(join)
    } catch (err) {
      replace(body)
      error.textContent = err instanceof ClientError && err.code === 'NOT_FOUND'
        ? t('invite.invalid')
        : errorText(err)
    }
  })()
  return overlay
}
