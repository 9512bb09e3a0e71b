import { Type } from 'typebox'
import { Label, Text } from '../../lib/text-schemas.js'

/** Base64url, as the browser's WebAuthn JSON carries binary values; bounded so a huge one is VALIDATION, not work. */
const B64 = (maxLength: number) => Text({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' })
/** A credential id is at most 1023 bytes (WebAuthn level 3): 1364 base64url characters. */
const CredentialId = B64(1364)
const Transport = Type.Union(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'].map((t) => Type.Literal(t)))
/** What the browser reports about extensions (credProps and the like): read by nobody here, kept small. */
const ExtensionResults = Type.Object({}, { additionalProperties: true, maxProperties: 16 })
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]))

export const PasskeyName = Label({ minLength: 1, maxLength: 64 })

/** `navigator.credentials.create()`'s answer as JSON (@simplewebauthn/browser's startRegistration). */
export const RegistrationResponseSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(4096),
    attestationObject: B64(32_768),
    authenticatorData: Type.Optional(B64(16_384)),
    transports: Type.Optional(Type.Array(Transport, { maxItems: 8 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(B64(4096))
  }, { additionalProperties: false }),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ExtensionResults
}, { additionalProperties: false })

/** `navigator.credentials.get()`'s answer as JSON (@simplewebauthn/browser's startAuthentication). */
export const AuthenticationResponseSchema = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(4096),
    authenticatorData: B64(16_384),
    signature: B64(2048),
    userHandle: Type.Optional(B64(128))
  }, { additionalProperties: false }),
  authenticatorAttachment: Attachment,
  clientExtensionResults: ExtensionResults
}, { additionalProperties: false })

/** Nothing to choose yet; a body is required all the same, so a bare POST (a form, a stray request) starts nothing. */
export const PasskeyRegistrationOptionsBody = Type.Object({}, { additionalProperties: false })
export const PasskeyRegisterBody = Type.Object({ response: RegistrationResponseSchema, name: Type.Optional(PasskeyName) }, { additionalProperties: false })
export const PasskeyRenameBody = Type.Object({ name: PasskeyName }, { additionalProperties: false })
/** Removing a passkey takes the current password: a stolen session alone cannot strip the owner's sign-in methods. */
export const PasskeyRemoveBody = Type.Object({ password: Text({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false })
export const PasskeyIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
/** Sign-in options: with a username, that account's passkeys; without, any discoverable passkey (usernameless). */
export const PasskeySignInOptionsBody = Type.Object({ username: Type.Optional(Text({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false })
export const PasskeySignInBody = Type.Object({ response: AuthenticationResponseSchema }, { additionalProperties: false })

export const PasskeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deviceType: Type.String({ description: '`multiDevice`: a synced passkey; `singleDevice`: bound to one authenticator' }),
  backedUp: Type.Boolean()
})

/**
 * The options `navigator.credentials.create()` / `.get()` take, as JSON (WebAuthn's
 * PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON): passed on whole, so the
 * schema names what clients rely on and lets the rest through.
 */
export const CreationOptionsSchema = Type.Object({
  challenge: Type.String(),
  rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() })
}, { additionalProperties: true })
export const RequestOptionsSchema = Type.Object({
  challenge: Type.String(),
  rpId: Type.Optional(Type.String())
}, { additionalProperties: true })
