export { default as accountPlugin } from './plugin.js'
export { default as accountRoutes } from './routes.js'
export { createAccountService, DELETED_DISPLAY_NAME, tombstoneUsername, type AccountDeps, type AccountService } from './service.js'
