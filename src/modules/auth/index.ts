export { default as authRoutes } from './routes.js'
export { createAuthService, normalizeUsername, type AuthService } from './service.js'
export { authServicesOf } from './services.js'
