export { default as usersRoutes } from './routes.js'
export { publicUserSelect, toPublicUser } from './service.js'
export { AvatarUrl, DisplayName, Password, PresenceSchema, UserSchema, Username, USERNAME_RE, type PublicUser } from './schemas.js'
