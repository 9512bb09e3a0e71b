// Whether a build output is older than its inputs, by modification time: shared by the
// build (scripts/build.mjs) and the test run's pre-build (scripts/pretest.mjs).
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Newest modification time of a file, or of the files under a directory (0 when there are none). */
export function newest (path) {
  if (!existsSync(path)) return 0
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs
  let time = 0
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) time = Math.max(time, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs)
  }
  return time
}

/** Modification time of a built file, or -1 when it is missing. */
export const builtAt = (file) => existsSync(file) ? statSync(file).mtimeMs : -1

/** True when `output` is missing or older than any of `inputs` (files or directories). */
export const stale = (output, inputs) => builtAt(output) < Math.max(...inputs.map(newest))
