export { default as searchRoutes } from './routes.js'
export { SEARCHED_TYPE } from './service.js'
export { default as searchIndexMergerPlugin, MERGE_SQL } from './index-merger.js'
