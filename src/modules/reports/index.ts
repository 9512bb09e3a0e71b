export { default as reportsRoutes } from './routes.js'
