export { default as serverApiRoutes } from './routes.js'
export { default as serverKeyAdminRoutes } from './admin-routes.js'
export { createServerKeyService, type ServerKeyService } from './key-service.js'
export { SCOPES, SERVER_KEY_RE, serverKeyHash, type Scope } from './keys.js'
