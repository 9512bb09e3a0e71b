export { default as botsRoutes } from './routes.js'
export { default as webhooksPlugin, type Webhooks } from './webhooks.js'
export { createBotsService, endOwnedBotSessions, type BotsService } from './service.js'
