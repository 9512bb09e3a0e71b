// oidc-provider ships no type declarations (and @types/oidc-provider lags the 9.x line): the
// little of it test/modules/auth/oidc-provider.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  interface Account { accountId: string, claims: () => Promise<Record<string, unknown>> }
  export default class Provider {
    constructor (issuer: string, configuration: {
      clients: Array<Record<string, unknown>>
      findAccount: (ctx: unknown, id: string) => Promise<Account>
      [key: string]: unknown
    })
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    on (event: string, listener: (...args: unknown[]) => void): this
  }
}
