import type { Client } from '@relay-im/client'
import { h } from '../dom.js'
import { login, register } from '../session.js'

/** Sign in or create an account; calls `done` with a signed-in client. */
export function authView (done: (client: Client) => void): HTMLElement {
  let mode: 'login' | 'register' = 'login'
  const username = h('input', { testid: 'auth-username', name: 'username', autocomplete: 'username', required: true, placeholder: 'username', minlength: 3, maxlength: 32 })
  const password = h('input', { testid: 'auth-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, placeholder: 'password', minlength: 8 })
  const displayName = h('input', { testid: 'auth-displayname', name: 'displayName', placeholder: 'display name (optional)', maxlength: 64 })
  const nameRow = h('label', { class: 'field', hidden: true }, 'Display name', displayName)
  const error = h('p', { class: 'error', testid: 'auth-error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'auth-submit' }, 'Sign in')
  const toggle = h('button', { type: 'button', class: 'link', testid: 'auth-toggle' }, 'Create an account')

  const setMode = (m: typeof mode): void => {
    mode = m
    nameRow.hidden = m === 'login'
    submit.textContent = m === 'login' ? 'Sign in' : 'Create account'
    toggle.textContent = m === 'login' ? 'Create an account' : 'I have an account'
    password.autocomplete = m === 'login' ? 'current-password' : 'new-password'
    error.textContent = ''
  }
  toggle.addEventListener('click', () => { setMode(mode === 'login' ? 'register' : 'login') })

  const form = h('form', {
    class: 'auth-card',
    testid: 'auth-form',
    onsubmit: async (e: SubmitEvent) => {
      e.preventDefault()
      error.textContent = ''
      submit.disabled = true
      try {
        const creds = { username: username.value.trim(), password: password.value }
        const name = displayName.value.trim()
        done(mode === 'login' ? await login(creds) : await register(name === '' ? creds : { ...creds, displayName: name }))
      } catch (err) {
        error.textContent = (err as Error).message
      } finally {
        submit.disabled = false
      }
    }
  },
  h('h1', {}, 'Relay'),
  h('p', { class: 'muted' }, 'Chat with your friends.'),
  h('label', { class: 'field' }, 'Username', username),
  h('label', { class: 'field' }, 'Password', password),
  nameRow,
  error,
  submit,
  toggle)
  return h('main', { class: 'auth' }, form)
}
