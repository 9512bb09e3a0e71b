import { createClient, type Client, type OidcIdentities, type OidcProviders } from '@relay-im/client'
import { h } from '../dom.js'
import { errorText, t } from '../i18n/index.js'
import { startOidc } from '../session.js'

/**
 * "Sign in with <name>" buttons for the sign-in screen, one per configured OpenID Connect
 * provider (none: nothing shows). `info` hears whether password sign-up is on.
 */
export function oidcButtons (error: HTMLElement, info: (providers: OidcProviders) => void): HTMLElement {
  const box = h('div', { class: 'oidc-buttons', testid: 'oidc-buttons', hidden: true })
  const client = createClient({ url: '' })
  void client.oidcProviders().then((answer) => {
    info(answer)
    if (answer.providers.length === 0) return
    box.replaceChildren(h('p', { class: 'muted oidc-or' }, t('oidc.or')), ...answer.providers.map((p) =>
      h('button', {
        type: 'button',
        class: 'oidc-button',
        testid: `oidc-${p.id}`,
        onclick: () => { error.textContent = ''; startOidc(p.id).catch((err: unknown) => { error.textContent = errorText(err) }) }
      }, t('oidc.signInWith', { name: p.name }))))
    box.hidden = false
  }).catch(() => {}).finally(() => { client.close() })
  return box
}

/** The account's sign-in providers, for the account security dialog: link the others, unlink one (not the last way in). */
export function oidcLinks (client: Client): HTMLElement {
  const section = h('section', { class: 'oidc-links', testid: 'oidc-links', hidden: true })
  const error = h('p', { class: 'error', testid: 'oidc-links-error', role: 'alert' })
  const render = (providers: OidcProviders, mine: OidcIdentities): void => {
    const linked = new Set(mine.identities.map((i) => i.provider))
    const ways = mine.identities.length + (mine.hasPassword ? 1 : 0)
    section.hidden = providers.providers.length === 0
    const row = (p: OidcProviders['providers'][number]): HTMLElement => {
      const li = h('li', { testid: `oidc-link-row-${p.id}`, 'data-linked': String(linked.has(p.id)) })
      if (!linked.has(p.id)) {
        li.append(h('button', { type: 'button', class: 'small', testid: `oidc-link-${p.id}`, onclick: () => { void act(async () => { await startOidc(p.id, client) }) } }, t('oidc.link', { name: p.name })))
      } else {
        li.append(h('span', {}, t('oidc.linked', { name: p.name })), ' ', ways > 1
          ? h('button', { type: 'button', class: 'small', testid: `oidc-unlink-${p.id}`, onclick: () => { void act(async () => { await client.unlinkOidc(p.id) }) } }, t('oidc.unlink'))
          : h('span', { class: 'hint' }, t('oidc.lastMethod')))
      }
      return li
    }
    section.replaceChildren(h('h3', {}, t('oidc.linksTitle')), h('ul', { class: 'oidc-list' }, ...providers.providers.map(row)), error)
  }
  const load = async (): Promise<void> => { render(await client.oidcProviders(), await client.oidcIdentities()) }
  const act = async (run: () => Promise<void>): Promise<void> => {
    error.textContent = ''
    try {
      await run()
      await load()
    } catch (err) {
      error.textContent = (err as { code?: string }).code === 'CONFLICT' ? t('oidc.lastMethod') : errorText(err)
    }
  }
  load().catch(() => {})
  return section
}

/** A short notice after coming back from a provider while signed in (linked, or why not). */
export function oidcNotice (text: string): HTMLElement {
  const notice = h('div', { class: 'toast oidc-notice', testid: 'oidc-notice', role: 'status', onclick: () => { notice.remove() } }, text)
  setTimeout(() => { notice.remove() }, 8000)
  return notice
}
