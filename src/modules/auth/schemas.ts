import { Type, type Static } from 'typebox'
import { Text } from '../../lib/text-schemas.js'
import { AvatarUrl, DisplayName, Password, UserSchema, Username } from '../users/index.js'

export const RegisterBody = Type.Object({
  username: Username,
  password: Password,
  displayName: Type.Optional(DisplayName),
  avatarUrl: Type.Optional(Type.Union([AvatarUrl, Type.Null()]))
}, { additionalProperties: false })
export type Register = Static<typeof RegisterBody>

/**
 * Deliberately looser than registration: a name or password that could never have been
 * registered is simply wrong credentials (401), not a hint about the rules.
 */
export const LoginBody = Type.Object({
  username: Text({ minLength: 1, maxLength: 64 }),
  password: Text({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })
export type Login = Static<typeof LoginBody>

export const RefreshToken = Text({ minLength: 1, maxLength: 512 })
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false })

export const ChangePasswordBody = Type.Object({
  currentPassword: Text({ minLength: 1, maxLength: 128 }),
  newPassword: Password
}, { additionalProperties: false })

export const TokensSchema = Type.Object({ accessToken: Type.String(), refreshToken: Type.String() })
export type Tokens = Static<typeof TokensSchema>

export const SessionSchema = Type.Object({ user: UserSchema, ...TokensSchema.properties })
export type Session = Static<typeof SessionSchema>
