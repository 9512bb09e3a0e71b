// The database shape two ways: what prisma/schema.prisma says (parsed by Prisma's own WASM
// schema parser, the one prisma-fmt uses) and what a migrated database holds (read from
// pg_catalog). diffShapes() lists every disagreement; an empty list means the migrations
// build exactly the schema Prisma Client is generated from.
import { get_dmmf as getDmmf } from '@prisma/prisma-schema-wasm'
import type { SqlRunner } from '../../src/db/migrator.js'

export interface ColumnShape {
  /** As PostgreSQL's format_type() prints it, e.g. `timestamp(3) with time zone`. */
  type: string
  nullable: boolean
  /** Normalised default: `CURRENT_TIMESTAMP`, `autoincrement`, a literal, or null. */
  default: string | null
}
export interface IndexShape {
  unique: boolean
  method: string
  /** Column names in index order, then a non-default operator class, then ` DESC` where descending. */
  columns: string[]
}
export interface ForeignKeyShape {
  columns: string[]
  refTable: string
  refColumns: string[]
  onDelete: string
  onUpdate: string
}
export interface TableShape {
  columns: Record<string, ColumnShape>
  primaryKey: { name: string, columns: string[] } | null
  /** Unique and plain indexes by name (the primary key is separate). */
  indexes: Record<string, IndexShape>
  /** Keyed by the constrained columns: DMMF does not expose a relation's `map:` name. */
  foreignKeys: Record<string, ForeignKeyShape>
}
export interface DbShape {
  tables: Record<string, TableShape>
  enums: Record<string, string[]>
}

// ---- schema.prisma side ------------------------------------------------------------------

interface DmmfField {
  name: string
  dbName?: string | null
  kind: 'scalar' | 'object' | 'enum' | 'unsupported'
  isList: boolean
  isRequired: boolean
  type: string
  nativeType?: [string, string[]] | null
  hasDefaultValue: boolean
  default?: unknown
  relationFromFields?: string[]
  relationToFields?: string[]
  relationOnDelete?: string
  relationOnUpdate?: string
}
interface DmmfModel { name: string, dbName: string | null, fields: DmmfField[] }
interface DmmfIndex {
  model: string
  type: 'id' | 'unique' | 'normal' | 'fulltext'
  dbName?: string | null
  algorithm?: string
  fields: Array<{ name: string, sortOrder?: 'asc' | 'desc', operatorClass?: string }>
}
interface DmmfEnum { name: string, dbName?: string | null, values: Array<{ name: string, dbName?: string | null }> }
interface Datamodel { models: DmmfModel[], enums: DmmfEnum[], indexes: DmmfIndex[] }

/** Throws Prisma's own validation error (P1012) for an invalid schema. */
export function parseDatamodel (schema: string): Datamodel {
  return JSON.parse(getDmmf(JSON.stringify({ prismaSchema: schema }))).datamodel as Datamodel
}

const PG_IDENT_MAX = 63
/** Prisma's default constraint names: `<table>_<columns>_<suffix>`, cut to fit 63 bytes. */
function defaultName (table: string, columns: string[], suffix: string): string {
  const base = [table, ...columns].join('_')
  return base.slice(0, PG_IDENT_MAX - suffix.length - 1) + '_' + suffix
}

function scalarType (f: DmmfField, enumDbNames: Map<string, string>): string {
  const [native, args] = f.nativeType ?? [undefined, []]
  const arg = args.length > 0 ? `(${args.join(',')})` : ''
  let type: string
  if (f.kind === 'enum') {
    type = enumDbNames.get(f.type) ?? f.type
  } else {
    switch (`${f.type}:${native ?? ''}`) {
      case 'String:': case 'String:Text': type = 'text'; break
      case 'String:Uuid': type = 'uuid'; break
      case 'String:VarChar': type = `character varying${arg}`; break
      case 'String:Char': type = `character${arg}`; break
      case 'Int:': case 'Int:Integer': type = 'integer'; break
      case 'Int:SmallInt': type = 'smallint'; break
      case 'BigInt:': case 'BigInt:BigInt': type = 'bigint'; break
      case 'Float:': case 'Float:DoublePrecision': type = 'double precision'; break
      case 'Float:Real': type = 'real'; break
      case 'Decimal:': type = 'numeric(65,30)'; break
      case 'Decimal:Decimal': type = `numeric${arg}`; break
      case 'Boolean:': type = 'boolean'; break
      case 'DateTime:': type = 'timestamp(3) without time zone'; break
      case 'DateTime:Timestamp': type = `timestamp${arg || '(6)'} without time zone`; break
      case 'DateTime:Timestamptz': type = `timestamp${arg || '(6)'} with time zone`; break
      case 'DateTime:Date': type = 'date'; break
      case 'Json:': case 'Json:JsonB': type = 'jsonb'; break
      case 'Json:Json': type = 'json'; break
      case 'Bytes:': case 'Bytes:ByteA': type = 'bytea'; break
      default:
        // Fail loudly rather than compare against a guess: teach this switch the new type.
        throw new Error(`schema-shape: no PostgreSQL mapping for ${f.type} ${native ?? ''}${arg} (field ${f.name})`)
    }
  }
  return f.isList ? `${type}[]` : type
}

/** What the database default should be; uuid()/cuid()/nanoid() are filled in by the client. */
function expectedDefault (f: DmmfField): string | null {
  if (!f.hasDefaultValue) return null
  const d = f.default
  if (d !== null && typeof d === 'object' && 'name' in d) {
    const fn = (d as { name: string, args: unknown[] })
    switch (fn.name) {
      case 'now': return 'CURRENT_TIMESTAMP'
      case 'autoincrement': case 'sequence': return 'autoincrement'
      case 'dbgenerated': return fn.args.length > 0 ? String(fn.args[0]) : null
      default: return null
    }
  }
  // An empty list (`@default([])`): PostgreSQL shows it as an empty array of the column's type.
  if (Array.isArray(d) && d.length === 0) return `ARRAY[]::${scalarType(f, new Map())}`
  return String(d)
}

/** `ops: raw("text_pattern_ops")` comes as written; named classes (`JsonbPathOps`) as PascalCase. */
function opclassSuffix (operatorClass: string | undefined): string {
  if (operatorClass === undefined) return ''
  return ' ' + (/^[A-Z]/.test(operatorClass) ? operatorClass.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase() : operatorClass)
}

export function shapeFromSchema (schema: string): DbShape {
  const dm = parseDatamodel(schema)
  const enumDbNames = new Map(dm.enums.map((e) => [e.name, e.dbName ?? e.name]))
  const models = new Map(dm.models.map((m) => [m.name, m]))
  const tableOf = (m: DmmfModel) => m.dbName ?? m.name
  const columnOf = (m: DmmfModel, field: string) => {
    const f = m.fields.find((x) => x.name === field)
    if (f === undefined) throw new Error(`schema-shape: ${m.name}.${field} not found`)
    return f.dbName ?? f.name
  }

  const shape: DbShape = { tables: {}, enums: {} }
  for (const e of dm.enums) shape.enums[e.dbName ?? e.name] = e.values.map((v) => v.dbName ?? v.name)

  for (const m of dm.models) {
    const table: TableShape = { columns: {}, primaryKey: null, indexes: {}, foreignKeys: {} }
    for (const f of m.fields) {
      if (f.kind === 'object') {
        const from = f.relationFromFields ?? []
        if (from.length === 0) continue
        const target = models.get(f.type)
        if (target === undefined) throw new Error(`schema-shape: unknown model ${f.type}`)
        const columns = from.map((x) => columnOf(m, x))
        // Prisma's defaults: Restrict for a required relation, SetNull for an optional one.
        const optional = from.some((x) => !(m.fields.find((y) => y.name === x)?.isRequired ?? false))
        table.foreignKeys[columns.join(',')] = {
          columns,
          refTable: tableOf(target),
          refColumns: (f.relationToFields ?? []).map((x) => columnOf(target, x)),
          onDelete: f.relationOnDelete ?? (optional ? 'SetNull' : 'Restrict'),
          onUpdate: f.relationOnUpdate ?? 'Cascade'
        }
        continue
      }
      if (f.kind === 'unsupported') throw new Error(`schema-shape: Unsupported() field ${m.name}.${f.name}`)
      table.columns[f.dbName ?? f.name] = {
        type: scalarType(f, enumDbNames),
        // Prisma creates scalar-list columns without NOT NULL.
        nullable: f.isList || !f.isRequired,
        default: expectedDefault(f)
      }
    }
    for (const idx of dm.indexes.filter((i) => i.model === m.name)) {
      const columns = idx.fields.map((x) => columnOf(m, x.name))
      if (idx.type === 'id') {
        table.primaryKey = { name: idx.dbName ?? `${tableOf(m)}_pkey`, columns }
        continue
      }
      if (idx.type === 'fulltext') throw new Error('schema-shape: fulltext indexes are MySQL-only')
      const unique = idx.type === 'unique'
      table.indexes[idx.dbName ?? defaultName(tableOf(m), columns, unique ? 'key' : 'idx')] = {
        unique,
        method: (idx.algorithm ?? 'btree').toLowerCase(),
        columns: idx.fields.map((x, i) => columns[i] + opclassSuffix(x.operatorClass) + (x.sortOrder === 'desc' ? ' DESC' : ''))
      }
    }
    shape.tables[tableOf(m)] = table
  }
  // Indexes Prisma cannot express (on an expression, partial) are declared in schema.prisma as
  // `// raw-index: <table> <name> <method> <column>, <column>` lines, written as the database
  // side reads them ('(expression)' plus a non-default operator class, '(partial)').
  for (const [, tableName, name, method, cols] of schema.matchAll(/^\s*\/\/ raw-index: (\w+) (\w+) (\w+) (.+)$/gm)) {
    const table = shape.tables[tableName!]
    if (table === undefined) throw new Error(`schema-shape: raw-index ${name} on unknown table ${tableName}`)
    table.indexes[name!] = { unique: false, method: method!, columns: cols!.split(',').map((c) => c.trim()) }
  }
  return shape
}

// ---- database side -----------------------------------------------------------------------

const ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' }

/** Strips casts and quotes so `'pending'::member_role` reads `pending`, `now()` reads CURRENT_TIMESTAMP. */
function normaliseDefault (expr: string | null): string | null {
  if (expr === null) return null
  if (/^nextval\(/.test(expr)) return 'autoincrement'
  if (expr === 'now()' || expr === 'CURRENT_TIMESTAMP') return 'CURRENT_TIMESTAMP'
  const literal = /^'((?:[^']|'')*)'(?:::[\w ."[\]]+)?$/.exec(expr)
  if (literal !== null) return literal[1]!.replaceAll("''", "'")
  return expr.replace(/^\((.*)\)$/, '$1')
}

// The migrator's bookkeeping table is Prisma Migrate's, not part of the datamodel.
const EXCLUDED = `'_prisma_migrations'`

export async function shapeFromDatabase (db: SqlRunner): Promise<DbShape> {
  const shape: DbShape = { tables: {}, enums: {} }

  const tables = await db.query<{ name: string }>(`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> ${EXCLUDED}`)
  for (const { name } of tables) shape.tables[name] = { columns: {}, primaryKey: null, indexes: {}, foreignKeys: {} }
  const tableShape = (name: string) => {
    const t = shape.tables[name]
    if (t === undefined) throw new Error(`schema-shape: table ${name} not listed`)
    return t
  }

  const columns = await db.query<{ table: string, column: string, type: string, notnull: boolean, def: string | null }>(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> ${EXCLUDED}
      AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`)
  for (const c of columns) {
    tableShape(c.table).columns[c.column] = { type: c.type, nullable: !c.notnull, default: normaliseDefault(c.def) }
  }

  // Expression and partial indexes get a marker column so they never match a Prisma index.
  const indexes = await db.query<{ table: string, name: string, unique: boolean, primary: boolean, method: string, columns: string[] }>(`
    SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
           am.amname AS method,
           array(
             SELECT COALESCE(a.attname::text, '(expression)')
                    || CASE WHEN oc.opcdefault THEN '' ELSE ' ' || oc.opcname END
                    || CASE WHEN (x.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
             FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[k.ord - 1]
             ORDER BY k.ord
           )::text[] || CASE WHEN x.indpred IS NULL THEN ARRAY[]::text[] ELSE ARRAY['(partial)'] END AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND t.relname <> ${EXCLUDED}`)
  for (const ix of indexes) {
    const t = tableShape(ix.table)
    if (ix.primary) t.primaryKey = { name: ix.name, columns: ix.columns }
    else t.indexes[ix.name] = { unique: ix.unique, method: ix.method, columns: ix.columns }
  }

  const fks = await db.query<{ table: string, ref_table: string, on_delete: string, on_update: string, columns: string[], ref_columns: string[] }>(`
    SELECT t.relname AS table, rt.relname AS ref_table, con.confdeltype::text AS on_delete,
           con.confupdtype::text AS on_update,
           array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
           array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns
    FROM pg_constraint con
    JOIN pg_class t ON t.oid = con.conrelid
    JOIN pg_class rt ON rt.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE con.contype = 'f' AND n.nspname = current_schema()`)
  for (const fk of fks) {
    tableShape(fk.table).foreignKeys[fk.columns.join(',')] = {
      columns: fk.columns,
      refTable: fk.ref_table,
      refColumns: fk.ref_columns,
      onDelete: ACTIONS[fk.on_delete] ?? fk.on_delete,
      onUpdate: ACTIONS[fk.on_update] ?? fk.on_update
    }
  }

  const enums = await db.query<{ name: string, values: string[] }>(`
    SELECT t.typname AS name,
           array(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)::text[] AS values
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype = 'e' AND n.nspname = current_schema()`)
  for (const e of enums) shape.enums[e.name] = e.values

  return shape
}

// ---- comparison --------------------------------------------------------------------------

const show = (v: unknown) => JSON.stringify(v)

function compareKeyed<T> (where: string, what: string, expected: Record<string, T>, actual: Record<string, T>, out: string[], each?: (key: string, e: T, a: T) => void): void {
  for (const key of Object.keys(expected)) {
    if (!(key in actual)) out.push(`${where}: ${what} ${key} is in schema.prisma but not in the migrations`)
  }
  for (const key of Object.keys(actual)) {
    if (!(key in expected)) out.push(`${where}: ${what} ${key} is in the migrations but not in schema.prisma`)
    else each?.(key, expected[key]!, actual[key]!)
  }
}

/** Every difference as one readable line; [] when they agree. */
export function diffShapes (expected: DbShape, actual: DbShape): string[] {
  const out: string[] = []
  compareKeyed('database', 'enum', expected.enums, actual.enums, out, (name, e, a) => {
    if (show(e) !== show(a)) out.push(`enum ${name}: values ${show(e)} in schema.prisma, ${show(a)} in the migrations`)
  })
  compareKeyed('database', 'table', expected.tables, actual.tables, out, (table, e, a) => {
    compareKeyed(`table ${table}`, 'column', e.columns, a.columns, out, (col, ec, ac) => {
      for (const prop of ['type', 'nullable', 'default'] as const) {
        if (ec[prop] !== ac[prop]) out.push(`table ${table}: column ${col} ${prop} is ${show(ec[prop])} in schema.prisma, ${show(ac[prop])} in the migrations`)
      }
    })
    if (show(e.primaryKey) !== show(a.primaryKey)) {
      out.push(`table ${table}: primary key ${show(e.primaryKey)} in schema.prisma, ${show(a.primaryKey)} in the migrations`)
    }
    compareKeyed(`table ${table}`, 'index', e.indexes, a.indexes, out, (name, ei, ai) => {
      if (show(ei) !== show(ai)) out.push(`table ${table}: index ${name} is ${show(ei)} in schema.prisma, ${show(ai)} in the migrations`)
    })
    compareKeyed(`table ${table}`, 'foreign key on', e.foreignKeys, a.foreignKeys, out, (cols, ef, af) => {
      if (show(ef) !== show(af)) out.push(`table ${table}: foreign key on ${cols} is ${show(ef)} in schema.prisma, ${show(af)} in the migrations`)
    })
  })
  return out
}
