import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PROTOCOL_VERSION } from '@relay-im/client/protocol'
import { ErrorSchema } from '../../lib/error-schema.js'

/** The server package's version, from the nearest package.json (seen from src/ or dist/src/). */
function serverVersion (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  try {
    return String(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version ?? 'unknown')
  } catch {
    return 'unknown'
  }
}

const VersionInfo = Type.Object({
  protocol: Type.Integer({ description: 'The wire contract version (PROTOCOL_VERSION); the SDK refuses a server below its own' }),
  server: Type.String({ description: 'The server package version' }),
  recallWindowS: Type.Integer({ description: 'How long after sending a message its sender may recall it, in seconds (RECALL_WINDOW_S)' })
})

/** `GET /api/version`: public, so an SDK can check compatibility before signing in. */
const versionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const body = { protocol: PROTOCOL_VERSION, server: serverVersion(), recallWindowS: app.config.RECALL_WINDOW_S }
  app.get('/version', {
    schema: { operationId: 'getVersion', tags: ['meta'], summary: 'Protocol and server versions', security: [], response: { 200: VersionInfo, '4xx': ErrorSchema } }
  }, async () => body)
}

export default versionRoutes
