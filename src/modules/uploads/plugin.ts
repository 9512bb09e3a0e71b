import fp from 'fastify-plugin'
import { createUploadsService, type UploadsService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance { uploads: UploadsService }
}

/** The one uploads service of the app: the routes serve it, link previews store their images through it. */
export default fp(async (app) => {
  const { config } = app
  app.decorate('uploads', createUploadsService(app.prisma, {
    sql: app.sql,
    dir: config.UPLOAD_DIR,
    maxBytes: config.UPLOAD_MAX_BYTES,
    mimeAllowlist: config.uploadMimeAllowlist
  }))
}, { name: 'uploads', dependencies: ['config', 'db'] })
