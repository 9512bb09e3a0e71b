import type { App } from '../../../src/app.js'
import type { TestUser } from '../../helper.js'

export interface TestBot { id: string, username: string, token: string, auth: { authorization: string } }

let n = 0
/** Creates a bot owned by `owner` through the real route. */
export async function makeBot (app: App, owner: Pick<TestUser, 'auth'>, username = `bot${process.pid % 100000}_${++n}_${Math.floor(Math.random() * 1e6)}`): Promise<TestBot> {
  const res = await app.inject({ method: 'POST', url: '/api/bots', headers: owner.auth, payload: { username, displayName: `Bot ${username}` } })
  if (res.statusCode !== 201) throw new Error(`create bot failed: ${res.statusCode} ${res.body}`)
  const body = res.json()
  return { id: body.bot.id, username: body.bot.username, token: body.token, auth: { authorization: `Bot ${body.token as string}` } }
}
