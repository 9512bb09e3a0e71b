import { ClientError } from './errors.js'
import { PROTOCOL_VERSION, type VersionInfo } from './protocol.js'

/**
 * Checks what `GET /api/version` answered against the protocol this SDK speaks. A server
 * without the route (404) predates protocol versioning, so it is older too. Network
 * failures and 5xx pass through as they are (transient: connect() keeps trying).
 */
export async function checkProtocol (fetchVersion: () => Promise<VersionInfo>): Promise<VersionInfo> {
  let info: VersionInfo
  try {
    info = await fetchVersion()
  } catch (err) {
    if (err instanceof ClientError && err.status === 404) throw incompatible('states no protocol version (GET /api/version is 404)')
    throw err
  }
  if (typeof info?.protocol !== 'number' || !Number.isInteger(info.protocol)) throw incompatible('sent a malformed GET /api/version')
  if (info.protocol < PROTOCOL_VERSION) throw incompatible(`speaks protocol ${info.protocol}`)
  return info
}

const incompatible = (what: string): ClientError =>
  new ClientError('INCOMPATIBLE_SERVER', `The server ${what}; this SDK needs protocol ${PROTOCOL_VERSION} or newer`)
