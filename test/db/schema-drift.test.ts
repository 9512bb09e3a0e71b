// prisma/schema.prisma (what Prisma Client is generated from) and prisma/migrations (what
// the migrator builds) must describe the same database. Prisma's schema engine, which would
// check this with `migrate diff`, cannot be installed offline, so this test applies the
// migrations to a fresh database and compares its catalog with the parsed schema.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { findMigrationsDir, migrate, type SqlRunner } from '../../src/db/migrator.js'
import { diffShapes, shapeFromDatabase, shapeFromSchema, type DbShape } from './schema-shape.js'
import { freshRunner, pgliteRunner } from './runners.js'

const schemaPath = join(findMigrationsDir(), '..', 'schema.prisma')
const schema = readFileSync(schemaPath, 'utf8')

async function migratedShape (t: Test, runner?: SqlRunner, extraSql?: string): Promise<DbShape> {
  const db = runner ?? await freshRunner(t)
  await migrate(db)
  if (extraSql !== undefined) await db.exec(extraSql)
  return await shapeFromDatabase(db)
}

/** Replaces exactly one occurrence, so a mutation test cannot silently test nothing. */
function mutate (text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : [...text.matchAll(new RegExp(from, 'g'))].length
  if (count !== 1) throw new Error(`expected one match of ${String(from)}, found ${count}`)
  return text.replace(from, to)
}

t.test('schema.prisma and the migrations describe the same database', async (t) => {
  const expected = shapeFromSchema(schema)
  const actual = await migratedShape(t)
  // A sanity floor: the comparison below is vacuous if either side came back empty.
  t.ok(Object.keys(expected.tables).length >= 9, 'schema.prisma parsed into tables')
  t.same(Object.keys(actual.tables).sort(), Object.keys(expected.tables).sort(), 'same tables')
  t.same(diffShapes(expected, actual), [], 'no drift (each line above is one difference)')
  // Spot checks that the introspection reads what the comparison relies on.
  t.same(actual.tables.users?.columns.created_at, { type: 'timestamp(3) with time zone', nullable: false, default: 'CURRENT_TIMESTAMP' })
  t.same(actual.tables.messages?.columns.content, { type: 'jsonb', nullable: true, default: null })
  t.same(actual.tables.conversation_members?.columns.role, { type: 'member_role', nullable: false, default: 'member' })
  t.same(actual.tables.friendships?.primaryKey, { name: 'friendships_pkey', columns: ['user_id', 'friend_id'] })
  t.same(actual.tables.conversations?.foreignKeys.owner_id?.onDelete, 'SetNull')
  t.same(actual.enums.conversation_type, ['direct', 'group', 'channel'])
  t.same(actual.tables.users?.indexes.users_username_pattern_idx, { unique: false, method: 'btree', columns: ['username text_pattern_ops'] }, 'operator classes are read')
})

t.test('the comparator reports each kind of disagreement', async (t) => {
  // One migrated database; the schema text is changed the way a careless edit would.
  const actual = await migratedShape(t, await pgliteRunner(t))
  const cases: Array<{ name: string, schema: string, expect: RegExp }> = [
    {
      name: 'a field added to a model without a migration',
      schema: mutate(schema, '  avatarUrl    String?   @map("avatar_url")\n', '  avatarUrl    String?   @map("avatar_url")\n  bio          String?\n'),
      expect: /^table users: column bio is in schema\.prisma but not in the migrations$/
    },
    {
      name: 'a model without a table',
      schema: schema + '\nmodel Sticker {\n  id String @id @db.Uuid\n  @@map("stickers")\n}\n',
      expect: /^database: table stickers is in schema\.prisma but not in the migrations$/
    },
    {
      name: 'nullability',
      schema: mutate(schema, 'name       String\n  mime', 'name       String?\n  mime'),
      expect: /^table uploads: column name nullable is true in schema\.prisma, false in the migrations$/
    },
    {
      name: 'a native type (timestamptz precision)',
      schema: mutate(schema, 'expiresAt DateTime  @map("expires_at") @db.Timestamptz(3)', 'expiresAt DateTime  @map("expires_at") @db.Timestamptz(6)'),
      expect: /^table refresh_tokens: column expires_at type is "timestamp\(6\) with time zone" in schema\.prisma, "timestamp\(3\) with time zone" in the migrations$/
    },
    {
      name: 'uuid versus text',
      schema: mutate(schema, 'familyId  String    @map("family_id") @db.Uuid', 'familyId  String    @map("family_id")'),
      expect: /^table refresh_tokens: column family_id type is "text" in schema\.prisma, "uuid" in the migrations$/
    },
    {
      name: 'a default',
      schema: mutate(schema, 'readSeq        Int        @default(0)', 'readSeq        Int        @default(1)'),
      expect: /^table conversation_members: column read_seq default is "1" in schema\.prisma, "0" in the migrations$/
    },
    {
      name: 'an index removed from the schema',
      schema: mutate(schema, '  @@index([familyId])\n', ''),
      expect: /^table refresh_tokens: index refresh_tokens_family_id_idx is in the migrations but not in schema\.prisma$/
    },
    {
      name: 'an index becoming unique',
      schema: mutate(schema, '@@index([blockedId])', '@@unique([blockedId])'),
      expect: /^table blocks: index blocks_blocked_id_key is in schema\.prisma but not in the migrations$/
    },
    {
      name: 'an index method',
      schema: mutate(schema, '@@index([toUserId, status])', '@@index([toUserId, status], map: "friend_requests_to_user_id_status_idx", type: Hash)'),
      expect: /^table friend_requests: index friend_requests_to_user_id_status_idx is .*"method":"hash".* in schema\.prisma/
    },
    {
      name: 'an operator class dropped from an index',
      schema: mutate(schema, '@@index([username(ops: raw("text_pattern_ops"))]', '@@index([username]'),
      expect: /^table users: index users_username_pattern_idx is .*"columns":\["username"\].* in schema\.prisma, .*"columns":\["username text_pattern_ops"\].* in the migrations$/
    },
    {
      name: 'a composite primary key',
      schema: mutate(schema, '@@id([blockerId, blockedId])', '@@id([blockedId, blockerId])'),
      expect: /^table blocks: primary key .*"blocked_id","blocker_id".* in schema\.prisma/
    },
    {
      name: 'an on-delete action',
      schema: mutate(schema, 'onDelete: SetNull', 'onDelete: Cascade'),
      expect: /^table conversations: foreign key on owner_id is .*"onDelete":"Cascade".* in schema\.prisma, .*"onDelete":"SetNull".* in the migrations$/
    },
    {
      name: 'an enum value',
      schema: mutate(schema, '  channel\n', '  channel\n  broadcast\n'),
      expect: /^enum conversation_type: values \["direct","group","channel","broadcast"\] in schema\.prisma, \["direct","group","channel"\] in the migrations$/
    }
  ]
  for (const c of cases) {
    const diff = diffShapes(shapeFromSchema(c.schema), actual)
    t.ok(diff.some((line) => c.expect.test(line)), c.name, { found: diff.join("\n") })
  }
})

t.test('the introspection sees what a migration adds beyond the schema', async (t) => {
  const actual = await migratedShape(t, await pgliteRunner(t), `
    ALTER TABLE "users" ADD COLUMN "nickname" TEXT;
    CREATE INDEX "messages_created_at_idx" ON "messages" ("created_at" DESC);
    CREATE TYPE "mood" AS ENUM ('happy');
    ALTER TABLE "uploads" ALTER COLUMN "size" TYPE BIGINT;`)
  t.same(diffShapes(shapeFromSchema(schema), actual).sort(), [
    'database: enum mood is in the migrations but not in schema.prisma',
    'table messages: index messages_created_at_idx is in the migrations but not in schema.prisma',
    'table uploads: column size type is "integer" in schema.prisma, "bigint" in the migrations',
    'table users: column nickname is in the migrations but not in schema.prisma'
  ])
})

t.test('an invalid schema is rejected by the parser, not compared', async (t) => {
  t.throws(() => shapeFromSchema(mutate(schema, 'model Upload {', 'model Upload {\n  broken Nope')), /P1012/)
})
