export { default as searchRoutes } from './routes.js'
