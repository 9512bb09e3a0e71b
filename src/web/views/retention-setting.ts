import type { Client, Conversation } from '@relay-im/client'
import { h } from '../dom.js'
import { t } from '../i18n/index.js'

/**
 * The settings panel's retention section (docs/protocol.md, "Retention"): every member sees the
 * group's or channel's policy; its owner and admins set a number of days (the server checks
 * its bounds and answers VALIDATION outside them) or go back to the server's default.
 */
export function retentionSection (client: Client, c: Conversation, canEdit: boolean, act: (fn: () => Promise<unknown>) => Promise<void>): HTMLElement {
  const days = c.retentionDays ?? null
  const state = h('p', { class: 'muted small', testid: 'retention-state' }, days === null ? t('retention.default') : t('retention.days', { count: days }))
  if (!canEdit) return h('section', { class: 'panel-section', testid: 'retention' }, h('h3', {}, t('retention.title')), state)
  const input = h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric', testid: 'retention-input', value: days === null ? '' : String(days), 'aria-label': t('retention.daysLabel') })
  return h('form', {
    class: 'panel-section',
    testid: 'retention',
    onsubmit: (e: SubmitEvent) => {
      e.preventDefault()
      const value = Number(input.value)
      if (input.value.trim() === '' || !Number.isFinite(value)) return
      void act(() => client.setRetention(c.id, value))
    }
  },
  h('h3', {}, t('retention.title')),
  state,
  h('label', { class: 'field' }, t('retention.daysLabel'), input),
  h('div', { class: 'dialog-actions' },
    days !== null ? h('button', { type: 'button', class: 'small', testid: 'retention-default', onclick: () => { void act(() => client.setRetention(c.id, null)) } }, t('retention.useDefault')) : null,
    h('button', { type: 'submit', class: 'primary small', testid: 'retention-save' }, t('panel.save'))))
}
