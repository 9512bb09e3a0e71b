export { default as versionRoutes } from './routes.js'
