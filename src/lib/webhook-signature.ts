import { createHmac } from 'node:crypto'

/** The header every signed outbound call carries (bot webhooks, the before-send hook, app events). */
export const SIGNATURE_HEADER = 'x-relay-signature'

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` */
export function signature (secret: string, body: string, nowS = Math.floor(Date.now() / 1000)): string {
  return `t=${nowS},v1=${createHmac('sha256', secret).update(`${nowS}.${body}`).digest('hex')}`
}
