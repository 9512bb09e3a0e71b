import fp from 'fastify-plugin'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance { config: Config }
}

export default fp<{ config: Config }>(async (app, opts) => {
  app.decorate('config', opts.config)
  if (opts.config.generatedSecret) {
    app.log.warn('JWT_SECRET is not set: using a generated secret kept in DATA_DIR/jwt-secret (set JWT_SECRET in production)')
  }
}, { name: 'config' })
