import { parse, protocol, type PGlite } from '@electric-sql/pglite'
import type { SqlClient } from './drivers.js'

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number]

interface Statement {
  text: string
  paramTypes: number[]
  /** What the statement returns (absent when it returns no rows: NoData). */
  rowDescription: BackendMessage | undefined
}

const { serialize } = protocol
const GENERIC_ON = serialize.query('SET plan_cache_mode = force_generic_plan')
const GENERIC_OFF = serialize.query('RESET plan_cache_mode')
const SYNC = serialize.sync()

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/**
 * Named prepared statements on PGlite. PGlite's `query` sends every statement unnamed (Parse,
 * Describe, Bind, Describe, Execute, Sync), so PostgreSQL parses, analyses and plans it at every
 * call; for the send statement that planning cost more than running it. A named statement here
 * is parsed and described once per PGlite instance; each call is Bind, Execute, Sync in one
 * call into PGlite, with the parameters serialised and the rows parsed by PGlite's own type
 * maps, as `query` does.
 *
 * `generic: true` runs the call with `plan_cache_mode = force_generic_plan` (set and reset
 * around it: the one session is shared with Prisma, whose unnamed statements need custom
 * plans), the embedded twin of the PostgreSQL send pool's session setting. Without a name a
 * call is PGlite's ordinary `query`. Every call holds PGlite's transaction and query locks as
 * `query` does, so it never runs inside somebody else's transaction.
 */
export function pgliteStatements (client: PGlite): (opts: { generic: boolean }) => SqlClient {
  const statements = new Map<string, Statement>()
  const send = async (message: Uint8Array): Promise<BackendMessage[]> => await client.execProtocolStream(message, { syncToFs: false })

  async function prepare (name: string, text: string): Promise<Statement> {
    const described = await send(concat(serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), SYNC))
    const statement = { text, paramTypes: parse.parseDescribeStatementResults(described), rowDescription: described.find((m) => m.name === 'rowDescription') }
    statements.set(name, statement)
    return statement
  }

  async function run<R> (name: string, text: string, values: unknown[], generic: boolean): Promise<R[]> {
    let statement = statements.get(name)
    // One name, one text (node-postgres enforces the same on PostgreSQL).
    if (statement !== undefined && statement.text !== text) throw new Error(`prepared statement "${name}" was already prepared with another text`)
    statement ??= await prepare(name, text)
    const types = statement.paramTypes
    const params = values.map((v, i) => {
      if (v === null || v === undefined) return null
      const serializer = client.serializers[types[i] ?? 0]
      return serializer !== undefined ? serializer(v) : String(v)
    })
    // One call into PostgreSQL's loop: after an error it skips to the Sync, then runs the
    // RESET, and PGlite throws the error once all of it ran.
    const call = [serialize.bind({ statement: name, values: params }), serialize.execute({}), SYNC]
    const results = await send(generic ? concat(GENERIC_ON, ...call, GENERIC_OFF) : concat(...call))
    await client.syncToFs()
    // This statement's rows: from its BindComplete to its CommandComplete (not the SET's or RESET's).
    const from = results.findIndex((m) => m.name === 'bindComplete')
    const to = results.findIndex((m, i) => i > from && m.name === 'commandComplete')
    const own = results.slice(from + 1, to + 1)
    return (parse.parseResults(statement.rowDescription === undefined ? own : [statement.rowDescription, ...own], client.parsers)[0]?.rows ?? []) as R[]
  }

  return ({ generic }) => ({
    query: async <R>(text: string, values: unknown[], name?: string): Promise<R[]> => {
      if (name === undefined) return (await client.query<R>(text, values)).rows
      return await client._runExclusiveTransaction(async () => await client._runExclusiveQuery(async () => await run<R>(name, text, values, generic)))
    }
  })
}
