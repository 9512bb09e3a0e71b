import type { Config } from '../../config.js'
import { validation } from '../../lib/errors.js'

/** A webhook URL must be an absolute https URL (the outbound URL rules of the contract, section 4). */
export async function checkWebhookUrl (_config: Config, url: string): Promise<void> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw validation('url: not an absolute URL')
  }
  if (parsed.protocol !== 'https:') throw validation('url: must be https')
}
