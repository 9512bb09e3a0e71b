export { default as friendsPlugin } from './plugin.js'
export { default as friendsRoutes } from './routes.js'
export { createFriendsService, type FriendsService, type Relation } from './service.js'
