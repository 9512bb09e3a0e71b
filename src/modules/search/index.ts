export { default as searchRoutes } from './routes.js'
export { SEARCHED_TYPE } from './service.js'
