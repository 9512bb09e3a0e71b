import type { Client } from '@relay-im/client'
import { h } from '../dom.js'
import { isSecondStep, login, register, type SecondStep } from '../session.js'
import { errorText, t } from '../i18n/index.js'
import { languageSwitch } from './language-switch.js'
import { passkeySignInButton } from './passkeys.js'
import { oidcButtons } from './oidc.js'

/**
 * Sign in or create an account; calls `done` with a signed-in client. `opts`: back from an
 * OpenID Connect provider, the error to show or the two-factor step to ask for.
 */
export function authView (done: (client: Client) => void, opts: { error?: string, step?: SecondStep } = {}): HTMLElement {
  let mode: 'login' | 'register' = 'login'
  const username = h('input', { testid: 'auth-username', name: 'username', autocomplete: 'username', required: true, placeholder: t('auth.usernamePlaceholder'), minlength: 3, maxlength: 32, 'aria-describedby': 'username-rules' })
  const password = h('input', { testid: 'auth-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, placeholder: t('auth.passwordPlaceholder'), minlength: 8, 'aria-describedby': 'password-rules' })
  const displayName = h('input', { testid: 'auth-displayname', name: 'displayName', placeholder: t('auth.displayNamePlaceholder'), maxlength: 64 })
  const nameRow = h('label', { class: 'field', hidden: true }, t('auth.displayName'), displayName)
  const rules = h('span', { class: 'hint', id: 'username-rules', testid: 'username-rules', hidden: true }, t('auth.usernameRules'))
  const passwordRules = h('span', { class: 'hint', id: 'password-rules', hidden: true }, t('auth.passwordRules'))
  const error = h('p', { class: 'error', testid: 'auth-error', role: 'alert' })
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'auth-submit' }, t('auth.signIn'))
  const toggle = h('button', { type: 'button', class: 'link', testid: 'auth-toggle' }, t('auth.toRegister'))
  const main = h('main', { class: 'auth' })
  const passkey = passkeySignInButton(() => username.value.trim(), error, (result) => { if (isSecondStep(result)) secondStep(result); else done(result) })

  const setMode = (m: typeof mode): void => {
    mode = m
    nameRow.hidden = m === 'login'
    submit.textContent = m === 'login' ? t('auth.signIn') : t('auth.createAccount')
    toggle.textContent = m === 'login' ? t('auth.toRegister') : t('auth.toLogin')
    passkey.hidden = m !== 'login'
    rules.hidden = m === 'login'
    passwordRules.hidden = m === 'login'
    password.autocomplete = m === 'login' ? 'current-password' : 'new-password'
    error.textContent = ''
  }
  toggle.addEventListener('click', () => { setMode(mode === 'login' ? 'register' : 'login') })

  const form = h('form', {
    class: 'auth-card',
    testid: 'auth-form',
    onsubmit: submitting(submit, error, async () => {
      const creds = { username: username.value.trim(), password: password.value }
      const name = displayName.value.trim()
      const result = mode === 'login' ? await login(creds) : await register(name === '' ? creds : { ...creds, displayName: name })
      if (isSecondStep(result)) secondStep(result)
      else done(result)
    }, (err) => authErrorText(err, mode))
  },
  h('h1', {}, t('app.name')),
  h('p', { class: 'muted' }, t('app.tagline')),
  h('label', { class: 'field' }, t('auth.username'), username, rules),
  h('label', { class: 'field' }, t('auth.password'), password, passwordRules),
  nameRow,
  error,
  submit,
  passkey,
  toggle,
  oidcButtons(error, (info) => { if (!info.passwordSignUp) toggle.hidden = true }))

  /** The password was right and the account has two-factor on: ask for a code. */
  function secondStep (step: SecondStep): void {
    form.replaceWith(codeForm(step, done, () => { step.cancel(); codeFormEl?.replaceWith(form); password.value = '' }))
  }
  let codeFormEl: HTMLElement | undefined
  function codeForm (step: SecondStep, finished: (client: Client) => void, back: () => void): HTMLElement {
    const code = h('input', { testid: 'auth-code', name: 'code', autocomplete: 'one-time-code', inputmode: 'text', required: true, minlength: 6, maxlength: 32, placeholder: '123456' })
    const codeError = h('p', { class: 'error', testid: 'auth-code-error', role: 'alert' })
    const verify = h('button', { type: 'submit', class: 'primary', testid: 'auth-code-submit' }, t('auth.verify'))
    codeFormEl = h('form', {
      class: 'auth-card',
      testid: 'auth-second-factor',
      onsubmit: submitting(verify, codeError, async () => { finished(await step.finish(code.value.trim())) }, codeErrorText)
    },
    h('h1', {}, t('app.name')),
    h('p', { class: 'muted' }, t('auth.secondFactorPrompt')),
    h('label', { class: 'field' }, t('auth.code'), code),
    codeError,
    verify,
    h('button', { type: 'button', class: 'link', testid: 'auth-code-back', onclick: back }, t('auth.back')))
    queueMicrotask(() => { code.focus() })
    return codeFormEl
  }

  main.append(form, languageSwitch())
  if (opts.step !== undefined) secondStep(opts.step)
  if (opts.error !== undefined) error.textContent = opts.error
  return main
}

/** A form's submit handler: clears its error line, disables its button meanwhile, shows a failure as a sentence. */
function submitting (button: HTMLButtonElement, error: HTMLElement, run: () => Promise<void>, text: (err: unknown) => string) {
  return async (e: SubmitEvent): Promise<void> => {
    e.preventDefault()
    error.textContent = ''
    button.disabled = true
    try {
      await run()
    } catch (err) {
      error.textContent = text(err)
    } finally {
      button.disabled = false
    }
  }
}

/** A wrong second-factor code, or a challenge that is used up or expired (go back to the password). */
function codeErrorText (err: unknown): string {
  const e = err as { code?: string, message?: string }
  if (e.code !== 'UNAUTHORIZED') return errorText(err)
  return /challenge/i.test(e.message ?? '') ? t('auth.challengeExpired') : t('auth.badCode')
}

/** A sign-in or sign-up failure as a sentence: which field is wrong, never the validator's text. */
function authErrorText (err: unknown, mode: 'login' | 'register'): string {
  const e = err as { code?: string, message?: string }
  if (e.code === 'UNAUTHORIZED' && mode === 'login') return t('error.badCredentials')
  if (e.code === 'CONFLICT' && mode === 'register') return t('error.usernameTaken')
  if (e.code === 'VALIDATION') {
    if (/username/i.test(e.message ?? '')) return t('error.badUsername')
    if (/password/i.test(e.message ?? '')) return t('error.badPassword')
  }
  return errorText(err)
}
