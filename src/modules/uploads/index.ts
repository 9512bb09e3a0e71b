export { default as uploadsRoutes } from './routes.js'
