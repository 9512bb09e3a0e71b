// suite: default only — the SDK's README against its own source; no server involved
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

const ROOT = join(import.meta.dirname, '..', '..')
const SRC = join(ROOT, 'packages', 'client', 'src')

/** The public methods and accessors a class declares in `file` (not private, not protected). */
function publicMembers (file: string, className: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const names: string[] = []
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || node.name?.text !== className) return
    for (const member of node.members) {
      if (!(ts.isMethodDeclaration(member) || ts.isGetAccessorDeclaration(member)) || member.name === undefined || !ts.isIdentifier(member.name)) continue
      const hidden = ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)
      if (hidden === 0) names.push(member.name.text)
    }
  })
  return names
}

t.test('packages/client/README.md names every public method of the client', async (t) => {
  const readme = readFileSync(join(ROOT, 'packages', 'client', 'README.md'), 'utf8')
  const members = [
    ...publicMembers(join(SRC, 'emitter.ts'), 'Emitter'),
    ...publicMembers(join(SRC, 'rest.ts'), 'RestClient'),
    ...publicMembers(join(SRC, 'client.ts'), 'Client')
  ]
  t.ok(members.length > 80, `${members.length} public members`)
  const missing = members.filter((name) => !new RegExp('[.`]' + name + '\\b').test(readme))
  t.same(missing, [], 'each appears as `.name` or `` `name `` in the README')
})
