// Node before 22.18 (tsx): test/typescript-loader.mjs registers this resolve hook, which maps
// a test file's `import t from 'tap'` to test/pool/tap.ts as that file's own hook does in-thread.
let tapShim
export function initialize (data) { tapShim = data.tapShim }
export async function resolve (specifier, context, nextResolve) {
  if (specifier === 'tap' && context.parentURL?.endsWith('.test.ts') === true) return await nextResolve(tapShim, context)
  return await nextResolve(specifier, context)
}
