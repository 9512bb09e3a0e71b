// suite: default only — pure logic: no database, Redis or second node is involved
import t from 'tap'
import { Type } from 'typebox'
import { compileIdNormaliser } from '../../src/lib/id-normaliser.js'
import { SyncEvent } from '../../src/modules/messages/schemas.js'

const U = 'ABCDEF01-2345-4678-89AB-CDEF01234567'
const u = U.toLowerCase()

t.test('no uuid in the schema: no normaliser at all', async (t) => {
  t.equal(compileIdNormaliser(Type.Object({ name: Type.String(), n: Type.Integer() })), undefined)
  t.equal(compileIdNormaliser(undefined), undefined)
})

t.test('uuid fields, arrays, record keys and unions are lower-cased; other strings are not', async (t) => {
  const schema = Type.Object({
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    memberIds: Type.Array(Type.String({ format: 'uuid' })),
    maybe: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    nested: Type.Optional(Type.Object({ userId: Type.String({ format: 'uuid' }) }))
  })
  const fn = compileIdNormaliser(schema)!
  const value = { id: U, name: 'ABC', memberIds: [U, 'AB'], maybe: U, nested: { userId: U } }
  t.same(fn(value), { id: u, name: 'ABC', memberIds: [u, 'ab'], maybe: u, nested: { userId: u } })
  t.same(fn({ id: U, name: 'X', memberIds: [], maybe: null }), { id: u, name: 'X', memberIds: [], maybe: null }, 'absent and null parts are left alone')
  t.equal(compileIdNormaliser(Type.String({ format: 'uuid' }))!(U), u, 'a bare uuid')
})

t.test('sync cursors: uuid record keys are lower-cased, values kept', async (t) => {
  const fn = compileIdNormaliser(SyncEvent)!
  t.same(fn({ cursors: { [U]: 3, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa': 1 } }), { cursors: { [u]: 3, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa': 1 } })
})
