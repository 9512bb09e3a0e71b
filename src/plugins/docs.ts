import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

/** OpenAPI generated from the route schemas; Swagger UI at /docs, JSON at /docs/json. */
export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Relay IM API', version: '1.0.0', description: 'REST half of the wire contract; see docs/protocol.md for the socket events.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'docs' })
