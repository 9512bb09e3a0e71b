import t from 'tap'
import { readFileSync } from 'node:fs'
import { build } from '../../helper.js'
import { MessageType as PrismaMessageType } from '../../../src/generated/prisma/enums.js'
import { checkContent, KINDS, MESSAGE_TYPES, previewOf, searchTextOf, SEARCHABLE_TYPES, SENDABLE_TYPES } from '../../../src/modules/message-kinds/index.js'
import { AppError } from '../../../src/lib/errors.js'

const SCHEMA = new URL('../../../prisma/schema.prisma', import.meta.url)
const limits = { textMaxChars: 5, customMaxBytes: 20 }
const attachment = { url: '/a.pdf', name: 'plan.pdf', size: 1, mime: 'application/pdf' }

t.test('one list of kinds: the registry, the Prisma schema, the generated client and the database agree', async (t) => {
  const block = /enum MessageType \{([^}]*)\}/.exec(readFileSync(SCHEMA, 'utf8'))?.[1] ?? ''
  const prisma = block.split('\n').map((l) => l.trim()).filter((l) => /^[a-z_]+$/.test(l))
  t.same(prisma, MESSAGE_TYPES, 'schema.prisma enum MessageType')
  t.same(Object.values(PrismaMessageType), MESSAGE_TYPES, 'the generated client')
  const app = await build(t)
  const [row] = await app.sql.query<{ types: string[] }>('SELECT enum_range(NULL::message_type)::text[] AS types', [])
  t.same(row?.types, MESSAGE_TYPES, 'the migrated database')
  t.same(SENDABLE_TYPES, ['text', 'image', 'file', 'custom', 'poll'], 'system is not sendable')
  for (const type of MESSAGE_TYPES) t.equal(KINDS[type].type, type, `${type}: its entry names it`)
})

t.test('one preview per kind', async (t) => {
  t.equal(previewOf('text', 'hello'), 'hello')
  t.equal(previewOf('text', 'é'.repeat(100)), 'é'.repeat(100), '100 characters are not cut')
  t.equal(previewOf('text', '😀'.repeat(101)), '😀'.repeat(99) + '…', 'cut to 100 code points, the last …')
  t.equal(previewOf('image', { ...attachment, name: 'a.png' }), '[image]')
  t.equal(previewOf('file', attachment), '[file] plan.pdf')
  t.equal(previewOf('file', { name: 'plan.pdf' }), '[file] plan.pdf', 'from what quoteSql selects, the same')
  t.equal(previewOf('file', null), '[file]', 'content without a name')
  t.equal(previewOf('custom', { a: 1 }), '[custom]')
  t.equal(previewOf('system', { event: 'renamed', actorId: 'x' }), '[system]')
  t.equal(previewOf('poll', { question: 'Lunch?', options: ['a', 'b'] }), '[poll] Lunch?')
  t.equal(previewOf('poll', { question: 'Lunch?' }), '[poll] Lunch?', 'from what quoteSql selects, the same')
  t.equal(previewOf('poll', { question: 'q'.repeat(200) }), '[poll] ' + 'q'.repeat(92) + '…')
})

t.test('searchable text: a text message\'s text; nothing for the others', async (t) => {
  t.same(SEARCHABLE_TYPES, ['text'])
  t.equal(searchTextOf('text', 'hello'), 'hello')
  t.equal(searchTextOf('file', attachment), null)
  t.equal(searchTextOf('image', attachment), null)
  t.equal(searchTextOf('custom', { text: 'hello' }), null)
  t.equal(searchTextOf('system', { event: 'renamed', actorId: 'x', name: 'n' }), null)
})

t.test('content checks go through the kind, after the shared walk', async (t) => {
  const refusal = (type: keyof typeof KINDS, content: unknown): string => {
    try { checkContent(type, content, limits); return 'accepted' } catch (err) { return err instanceof AppError ? `${err.code} ${err.message}` : String(err) }
  }
  t.equal(refusal('text', 'hello'), 'accepted')
  t.equal(refusal('text', 'hello!'), 'VALIDATION content: text longer than 5 characters')
  t.equal(refusal('text', ''), 'VALIDATION content: text must be a non-empty string')
  t.equal(refusal('text', 'a\u0000'), 'VALIDATION content: must not contain NUL characters')
  t.equal(refusal('file', attachment), 'accepted')
  t.match(refusal('image', { ...attachment, url: 'javascript:x' }), /^VALIDATION content\/url: .*; expected \{url, name, size, mime, width\?, height\?\}$/)
  t.equal(refusal('custom', { a: 1 }), 'accepted')
  t.equal(refusal('custom', [1]), 'VALIDATION content: custom content must be a JSON object')
  t.equal(refusal('custom', { a: 'x'.repeat(20) }), 'VALIDATION content: custom content larger than 20 bytes')
  let deep: unknown = {}
  for (let i = 0; i < 70; i++) deep = { a: deep }
  t.equal(refusal('custom', deep), 'VALIDATION content: nested deeper than 64 levels', 'depth is bounded before the kind recurses')
  t.equal(refusal('system', { event: 'renamed', actorId: '00000000-0000-4000-8000-000000000000', name: 'n' }), 'accepted')
  t.equal(refusal('system', { event: 'exploded', actorId: 'x' }), 'VALIDATION content: not a system message\'s content')
  t.equal(refusal('poll', { question: 'q', options: ['a', 'b'], multiple: true, anonymous: true }), 'accepted')
  t.equal(refusal('poll', { question: 'q', options: ['a', 'a '] }), 'VALIDATION content/options/1: the same as an earlier option')
  t.match(refusal('poll', { question: 'q', options: ['a'] }), /^VALIDATION content\/options: .*; expected \{question, options: 2-10 strings/)
})
