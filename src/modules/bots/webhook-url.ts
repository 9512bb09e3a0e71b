import type { Config } from '../../config.js'
import { validation } from '../../lib/errors.js'
import { checkOutboundUrl, OutboundUrlError, type Resolver } from '../../lib/outbound-url.js'

/**
 * A webhook URL follows the outbound URL rules (contract section 4): https, and a host that is
 * and resolves to public addresses only, unless its host:port is in OUTBOUND_ALLOWED_HOSTS.
 * Refused: 400 VALIDATION with the reason. Checked again at every connection.
 */
export async function checkWebhookUrl (config: Pick<Config, 'outboundAllowedHosts'>, url: string, resolver?: Resolver): Promise<void> {
  try {
    await checkOutboundUrl(url, { allowedHosts: config.outboundAllowedHosts, resolver })
  } catch (err) {
    if (err instanceof OutboundUrlError) throw validation(`url: ${err.message}`)
    throw err
  }
}
