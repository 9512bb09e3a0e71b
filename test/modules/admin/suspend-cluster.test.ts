import t from 'tap'
import { createTestDatabase, listen, registerUser, servicesMode } from '../../helper.js'
import { connect } from '../presence/helpers.js'
import { makeAdmin } from './helpers.js'

t.test('suspension on one node cuts a socket connected to the other', { skip: !servicesMode ? 'needs PostgreSQL and Redis' : false }, async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const one = await listen(t, {}, { databaseUrl })
  const two = await listen(t, {}, { databaseUrl })
  const admin = await makeAdmin(one.app)
  const u = await registerUser(one.app)
  const onTwo = await connect(t, two.url, u)
  const res = await one.app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/suspend`, headers: admin.auth, payload: { reason: 'spam' } })
  t.equal(res.statusCode, 200)
  t.equal(await onTwo.disconnected, 'io server disconnect', 'node 2 closed the socket')
  const me = await two.app.inject({ url: '/api/users/me', headers: u.auth })
  t.same(me.json().error, { code: 'FORBIDDEN', message: 'Suspended' }, 'node 2 refuses the old token')
})
