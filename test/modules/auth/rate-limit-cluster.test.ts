// Auth rate limits with REDIS_URL set: the nodes share one budget per client, so a balancer
// spreading guesses over N nodes does not multiply the allowance by N.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createTestDatabase, listen, servicesMode } from '../../helper.js'

t.test('two nodes on one Redis share the auth rate-limit budget', { skip: !servicesMode ? 'needs PostgreSQL and Redis' : false }, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const shared = { AUTH_RATE_LIMIT_MAX: 4, RATE_LIMIT_NAMESPACE: `test:${randomUUID()}:` }
  const nodes = [await listen(t, shared, { databaseUrl }), await listen(t, shared, { databaseUrl })]
  const login = async (i: number, remoteAddress = '10.9.8.7') =>
    await nodes[i % 2]!.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress, payload: { username: 'nobody', password: `guess ${i}` } })

  for (let i = 0; i < 4; i++) t.equal((await login(i)).statusCode, 401, `attempt ${i + 1} (node ${(i % 2) + 1}) is answered`)
  for (let i = 4; i < 6; i++) {
    const res = await login(i)
    t.equal(res.statusCode, 429, `attempt ${i + 1} (node ${(i % 2) + 1}) is over the shared budget`)
    t.equal(res.json().error.code, 'RATE_LIMITED')
  }
  t.equal((await login(6, '10.9.8.8')).statusCode, 401, 'another client has its own budget')

  const alone = await listen(t, { AUTH_RATE_LIMIT_MAX: 4 }, { databaseUrl })
  const res = await alone.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.9.8.7', payload: { username: 'nobody', password: 'x' } })
  t.equal(res.statusCode, 401, 'a node with another RATE_LIMIT_NAMESPACE counts apart')
})
