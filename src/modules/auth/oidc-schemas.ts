import { Type } from 'typebox'
import { Text } from '../../lib/text-schemas.js'

/** A configured provider's id (OIDC_PROVIDERS). */
export const ProviderId = Text({ pattern: '^[a-z0-9_-]{1,32}$', description: 'A configured provider id (GET /auth/oidc/providers)' })
export const ProviderParams = Type.Object({ provider: ProviderId })

export const OidcProvidersSchema = Type.Object({
  providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  /** false: POST /auth/register is refused (OIDC/PASSWORD_SIGNUP=false); existing password users still sign in. */
  passwordSignUp: Type.Boolean()
})

export const OidcStartQuery = Type.Object({
  /** true: answer 302 to the provider instead of `{ url }` (a plain link can start the flow). */
  redirect: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const OidcStartSchema = Type.Object({ url: Type.String({ description: 'The provider\'s authorization URL: send the browser there' }) })

/** The callback's query as providers send it; only its shape is checked here, openid-client checks the rest. */
export const OidcCallbackQuery = Type.Object({
  code: Type.Optional(Text({ maxLength: 2048 })),
  state: Type.Optional(Text({ maxLength: 512 })),
  iss: Type.Optional(Text({ maxLength: 2048 })),
  error: Type.Optional(Text({ maxLength: 256 })),
  error_description: Type.Optional(Text({ maxLength: 2048 })),
  session_state: Type.Optional(Text({ maxLength: 512 }))
})

export const OidcExchangeBody = Type.Object({
  code: Text({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The one-time code from the page URL\'s fragment (`#oidc=<code>`)' })
}, { additionalProperties: false })

export const OidcIdentitiesSchema = Type.Object({
  identities: Type.Array(Type.Object({ provider: Type.String(), name: Type.String(), linkedAt: Type.String({ format: 'date-time' }) })),
  /** Whether the account has a password (else a provider is its only way in, and the last one cannot be unlinked). */
  hasPassword: Type.Boolean()
})
