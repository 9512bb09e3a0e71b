import type { Test } from 'tap'
import type { App } from '../../../src/app.js'
import { snapshot } from '../../security/surface.js'

const PRESENCE = { ignoreColumns: ['last_seen_at'] }

/**
 * Runs a request that must be refused: asserts the error code and that no table changed.
 * `run` returns either a socket ack or a REST reply.
 */
export async function refused (t: Test, app: App, code: string, label: string, run: () => Promise<any>): Promise<void> {
  const before = await snapshot(app, PRESENCE)
  const res = await run()
  const got = typeof res?.statusCode === 'number' ? (res.statusCode >= 400 ? res.json().error.code : `status ${res.statusCode as number}`) : (res?.ok === false ? res.error.code : 'ok')
  t.equal(got, code, label)
  t.same(await snapshot(app, PRESENCE), before, `${label}: nothing written`)
}
