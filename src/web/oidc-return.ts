import { t } from './i18n/index.js'

/**
 * What an OpenID Connect round trip left in the page URL's fragment (the server's callback
 * redirects to `/#oidc=<one-time code>`, `/#oidc-linked=<provider>` or
 * `/#oidc-error=<code>&oidc-reason=<reason>`). Read once at boot and removed from the address
 * bar and history, so the one-time code is not kept or shared.
 */
export type OidcReturn = { code: string } | { linked: string } | { reason: string } | undefined

export function takeOidcReturn (): OidcReturn {
  const params = new URLSearchParams(window.location.hash.slice(1))
  const code = params.get('oidc')
  const linked = params.get('oidc-linked')
  const failed = params.get('oidc-error')
  const back: OidcReturn = code !== null ? { code } : linked !== null ? { linked } : failed !== null ? { reason: params.get('oidc-reason') ?? '' } : undefined
  if (back !== undefined) history.replaceState(history.state, '', window.location.pathname + window.location.search)
  return back
}

/** A failed round trip (its reason, or an error thrown by the exchange) as a sentence. */
export function oidcErrorText (reason: string): string {
  if (reason === 'state' || reason === 'UNAUTHORIZED') return t('oidc.errorState')
  if (reason === 'not_linked') return t('oidc.errorNotLinked')
  if (reason === 'linked_elsewhere' || reason === 'already_linked') return t('oidc.errorLinkedElsewhere')
  return t('oidc.errorOther')
}
