import type { Client, Passkey, PasskeyCredentialJSON, PasskeyRequestOptions } from '@relay-im/client'
import {
  browserSupportsWebAuthn, startAuthentication, startRegistration,
  type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON
} from '@simplewebauthn/browser'
import { h } from '../dom.js'
import { dateTimeOf } from '../i18n/dates.js'
import { errorText, t } from '../i18n/index.js'
import { passkeyLogin, type SecondStep } from '../session.js'

/**
 * Passkeys on the page: the browser step (navigator.credentials through
 * @simplewebauthn/browser, kept here so the SDK stays small), the "Sign in with a passkey"
 * button of the sign-in screen, and the list in the security dialog (add, rename, remove).
 */

/** The browser's sign-in step: the options to `navigator.credentials.get()`, its answer as JSON. */
const ask = async (options: PasskeyRequestOptions): Promise<PasskeyCredentialJSON> =>
  await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON }) as unknown as PasskeyCredentialJSON

/** A passkey failure as a sentence: cancelled in the browser, refused by the server, or anything else. */
function passkeyErrorText (err: unknown): string {
  const e = err as { name?: string, code?: string, message?: string }
  if (e.name === 'NotAllowedError' || e.name === 'AbortError' || e.code === 'ERROR_CEREMONY_ABORTED') return t('passkey.cancelled')
  if (e.code === 'UNAUTHORIZED') return t('passkey.failed')
  if (e.code === 'CONFLICT' && /already registered/i.test(e.message ?? '')) return t('passkey.exists')
  if (e.code === 'FORBIDDEN') return t('passkey.badPassword')
  return errorText(err)
}

/**
 * The sign-in screen's button: usernameless, or for the username typed in. `signedIn` gets the
 * client, or the code step when the passkey did not verify the user on a two-factor account.
 */
export function passkeySignInButton (username: () => string, error: HTMLElement, signedIn: (result: Client | SecondStep) => void): HTMLElement {
  const button = h('button', { type: 'button', class: 'passkey-sign-in', testid: 'passkey-sign-in' }, t('passkey.signIn'))
  button.addEventListener('click', () => {
    void (async () => {
      error.textContent = ''
      if (!browserSupportsWebAuthn()) {
        error.textContent = t('passkey.unsupported')
        return
      }
      button.disabled = true
      try {
        const name = username()
        signedIn(await passkeyLogin(name === '' ? undefined : name, ask))
      } catch (err) {
        error.textContent = passkeyErrorText(err)
      } finally {
        button.disabled = false
      }
    })()
  })
  return button
}

/** The account's passkeys: listed with when they were added and last used; add, rename, remove (with the password). */
export function passkeySection (client: Client): HTMLElement {
  const list = h('ul', { class: 'passkey-list', testid: 'passkey-list' })
  const error = h('p', { class: 'error', testid: 'passkey-error', role: 'alert' })
  const name = h('input', { testid: 'passkey-name', name: 'passkey-name', maxlength: 64, placeholder: t('passkey.namePlaceholder') })
  const add = h('button', { type: 'submit', class: 'primary', testid: 'passkey-add' }, t('passkey.add'))

  const attempt = async (fn: () => Promise<void>): Promise<void> => {
    error.textContent = ''
    try {
      await fn()
    } catch (err) {
      error.textContent = passkeyErrorText(err)
    }
  }
  const refresh = async (): Promise<void> => { show(await client.passkeys()) }

  function show (passkeys: Passkey[]): void {
    if (passkeys.length === 0) {
      list.replaceChildren(h('li', { class: 'muted', testid: 'passkey-none' }, t('passkey.none')))
      return
    }
    list.replaceChildren(...passkeys.map(item))
  }

  function item (p: Passkey): HTMLElement {
    const label = h('span', { class: 'passkey-label', testid: 'passkey-label' }, p.name)
    const when = t('passkey.added', { date: dateTimeOf(p.createdAt) }) + (p.lastUsedAt === null ? '' : ` · ${t('passkey.lastUsed', { date: dateTimeOf(p.lastUsedAt) })}`)
    const row = h('li', { class: 'passkey-item', testid: 'passkey-item', 'data-id': p.id })
    const actions = h('span', { class: 'passkey-actions' },
      h('button', { type: 'button', class: 'small', testid: 'passkey-rename', onclick: () => { renameForm() } }, t('passkey.rename')),
      h('button', { type: 'button', class: 'small danger', testid: 'passkey-remove', onclick: () => { removeForm() } }, t('passkey.remove')))
    const normal = [label, h('span', { class: 'small muted' }, when), actions]
    row.append(...normal)

    function renameForm (): void {
      const input = h('input', { testid: 'passkey-rename-input', maxlength: 64, required: true, value: p.name, 'aria-label': t('passkey.rename') })
      row.replaceChildren(h('form', {
        class: 'passkey-inline',
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault()
          void attempt(async () => { await client.renamePasskey(p.id, input.value.trim()); await refresh() })
        }
      }, input, h('button', { type: 'submit', class: 'small primary', testid: 'passkey-rename-save' }, t('passkey.save'))))
      input.focus()
    }

    function removeForm (): void {
      const password = h('input', { testid: 'passkey-remove-password', type: 'password', autocomplete: 'current-password', required: true, 'aria-label': t('passkey.removePrompt'), placeholder: t('passkey.removePrompt') })
      row.replaceChildren(label, h('form', {
        class: 'passkey-inline',
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault()
          void attempt(async () => { await client.removePasskey(p.id, password.value); await refresh() })
        }
      }, password, h('button', { type: 'submit', class: 'small danger', testid: 'passkey-remove-confirm' }, t('passkey.remove'))))
      password.focus()
    }
    return row
  }

  const form = h('form', {
    class: 'passkey-add-form',
    onsubmit: (e: SubmitEvent) => {
      e.preventDefault()
      if (!browserSupportsWebAuthn()) {
        error.textContent = t('passkey.unsupported')
        return
      }
      void attempt(async () => {
        add.disabled = true
        try {
          const options = await client.passkeyRegistrationOptions()
          const response = await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON })
          const typed = name.value.trim()
          await client.registerPasskey(response as unknown as PasskeyCredentialJSON, typed === '' ? t('passkey.defaultName') : typed)
          name.value = ''
          await refresh()
        } finally {
          add.disabled = false
        }
      })
    }
  }, name, add)

  void attempt(refresh)
  return h('section', { class: 'passkeys', testid: 'passkeys', 'aria-label': t('passkey.title') },
    h('h3', {}, t('passkey.title')),
    h('p', { class: 'small muted' }, t('passkey.intro')),
    list,
    form,
    error)
}
