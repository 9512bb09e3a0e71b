import type { Client, TotpStatus } from '@relay-im/client'
import QRCode from 'qrcode'
import { h } from '../dom.js'
import { errorText, t } from '../i18n/index.js'
import { passkeySection } from './passkeys.js'
import { oidcLinks } from './oidc.js'

/** The topbar button that opens the two-factor settings. */
export function twoFactorButton (client: Client): HTMLElement {
  // On a phone the top bar has room for the icon only (styles.css); the name stays for screen readers and as the tooltip.
  return h('button', { type: 'button', class: 'small totp-open', testid: 'totp-open', title: t('totp.button'), 'aria-label': t('totp.button'), onclick: () => { document.body.append(twoFactorDialog(client)) } },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, '🔐'), h('span', { class: 'label' }, t('totp.button')))
}

/**
 * Two-factor sign-in (TOTP): off, it offers enrolment (a QR code of the otpauth URL and the
 * secret to type in, then a code to confirm, then the ten recovery codes, shown once); on,
 * turning it off takes a current code or a recovery code.
 */
function twoFactorDialog (client: Client): HTMLElement {
  const body = h('div', { class: 'totp-body', testid: 'totp-body' })
  const error = h('p', { class: 'error', testid: 'totp-error', role: 'alert' })
  const close = (): void => { overlay.remove() }
  const overlay = h('div', { class: 'overlay', testid: 'totp-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('totp.title'), onclick: (e: MouseEvent) => { if (e.target === overlay) close() } },
    h('div', { class: 'dialog' },
      h('h2', {}, t('totp.title')),
      body,
      error,
      passkeySection(client),
      oidcLinks(client),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', testid: 'totp-close', onclick: close }, t('totp.close')))))

  const attempt = (fn: () => Promise<void>) => async (): Promise<void> => {
    error.textContent = ''
    try {
      await fn()
    } catch (err) {
      const code = (err as { code?: string }).code
      error.textContent = code === 'FORBIDDEN' ? (/password/i.test((err as Error).message) ? t('totp.badPassword') : t('auth.badCode')) : errorText(err)
    }
  }
  const codeInput = (): HTMLInputElement => h('input', { testid: 'totp-code', name: 'code', autocomplete: 'one-time-code', required: true, minlength: 6, maxlength: 32, placeholder: '123456' })

  const showStatus = (status: TotpStatus): void => {
    if (!status.enabled) {
      const password = h('input', { testid: 'totp-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })
      body.replaceChildren(h('p', { testid: 'totp-state', 'data-enabled': 'false' }, t('totp.off')),
        h('form', {
          onsubmit: (e: SubmitEvent) => {
            e.preventDefault()
            void attempt(async () => { await enrol(password.value) })()
          }
        }, h('label', { class: 'field' }, t('totp.passwordPrompt'), password),
        h('button', { type: 'submit', class: 'primary', testid: 'totp-start' }, t('totp.setUp'))))
      return
    }
    const code = codeInput()
    body.replaceChildren(h('p', { testid: 'totp-state', 'data-enabled': 'true' }, t('totp.on', { count: status.recoveryCodesLeft })),
      h('form', {
        class: 'field',
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault()
          void attempt(async () => { await client.disableTotp(code.value.trim()); showStatus(await client.totpStatus()) })()
        }
      }, h('label', { class: 'field' }, t('totp.disablePrompt'), code),
      h('button', { type: 'submit', class: 'danger', testid: 'totp-disable' }, t('totp.turnOff'))))
  }

  async function enrol (password: string): Promise<void> {
    const { secret, otpauthUrl } = await client.enrolTotp(password)
    const svg = await QRCode.toString(otpauthUrl, { type: 'svg', margin: 1 })
    const code = codeInput()
    body.replaceChildren(
      h('p', {}, t('totp.scan')),
      h('img', { class: 'totp-qr', testid: 'totp-qr', alt: t('totp.qrAlt'), src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, width: 200, height: 200 }),
      h('p', { class: 'small' }, t('totp.typeIn'), ' ', h('code', { testid: 'totp-secret' }, secret)),
      h('form', {
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault()
          void attempt(async () => { showRecoveryCodes((await client.confirmTotp(code.value.trim())).recoveryCodes) })()
        }
      }, h('label', { class: 'field' }, t('totp.confirmPrompt'), code),
      h('button', { type: 'submit', class: 'primary', testid: 'totp-confirm' }, t('totp.turnOn'))))
    code.focus()
  }

  function showRecoveryCodes (codes: string[]): void {
    body.replaceChildren(
      h('p', { testid: 'totp-state', 'data-enabled': 'true' }, t('totp.recoveryIntro')),
      h('ol', { class: 'totp-codes', testid: 'totp-recovery-codes' }, ...codes.map((c) => h('li', {}, h('code', {}, c)))))
  }

  void attempt(async () => { showStatus(await client.totpStatus()) })()
  return overlay
}
