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
const SYNC = serialize.sync()

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/**
 * Named prepared statements on PGlite. PGlite's `query` sends every statement unnamed (Parse,
 * Describe, Bind, Describe, Execute, Sync: six calls into the WebAssembly), so PostgreSQL
 * parses and analyses it again at every call. A named statement here is parsed and described
 * once per PGlite instance; each call is Bind, Execute, Sync in one call into PGlite, with the
 * parameters serialised and the rows parsed by PGlite's own type maps, as `query` does.
 * PostgreSQL keeps its own plan choice (custom plans first, a generic one when it is as
 * cheap), as on the PostgreSQL main pool. Forcing generic plans for the send statement, as
 * the PostgreSQL send pool does, was measured and not kept: no better at 1,000 msg/s and a
 * lower maximum (BENCHMARKS.md, "Embedded mode: named statements").
 *
 * Without a name a call is PGlite's ordinary `query`. Every call holds PGlite's transaction
 * and query locks as `query` does, so it never runs inside somebody else's transaction.
 */
export function pgliteStatements (client: PGlite): SqlClient {
  const statements = new Map<string, Statement>()
  const send = async (message: Uint8Array): Promise<BackendMessage[]> => await client.execProtocolStream(message, { syncToFs: false })

  async function prepare (name: string, text: string): Promise<Statement> {
    const described = await send(concat(serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), SYNC))
    const statement = { text, paramTypes: parse.parseDescribeStatementResults(described), rowDescription: described.find((m) => m.name === 'rowDescription') }
    statements.set(name, statement)
    return statement
  }

  async function run<R> (name: string, text: string, values: unknown[]): Promise<R[]> {
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
    // One call into PostgreSQL's loop: after an error it skips to the Sync, and PGlite throws
    // the error once all of it ran.
    const results = await send(concat(serialize.bind({ statement: name, values: params }), serialize.execute({}), SYNC))
    await client.syncToFs()
    return (parse.parseResults(statement.rowDescription === undefined ? results : [statement.rowDescription, ...results], client.parsers)[0]?.rows ?? []) as R[]
  }

  return {
    query: async <R>(text: string, values: unknown[], name?: string): Promise<R[]> => {
      if (name === undefined) return (await client.query<R>(text, values)).rows
      return await client._runExclusiveTransaction(async () => await client._runExclusiveQuery(async () => await run<R>(name, text, values)))
    }
  }
}
