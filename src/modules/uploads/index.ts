export { default as uploadsRoutes } from './routes.js'
export { default as uploadsPlugin } from './plugin.js'
export type { UploadsService, IncomingFile, UploadInfo } from './service.js'
