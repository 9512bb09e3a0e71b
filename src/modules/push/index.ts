export { default as pushPlugin } from './plugin.js'
export { default as pushRoutes } from './routes.js'
