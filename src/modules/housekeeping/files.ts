import { rm } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'

/** Removes uploads' files by storage key (after their rows went), never outside the uploads directory. */
export async function removeUploadFiles (uploadDir: string, rows: ReadonlyArray<{ storage_key: string }>): Promise<void> {
  const dir = resolve(uploadDir)
  for (const { storage_key: key } of rows) {
    const path = resolve(join(dir, key))
    if (path.startsWith(dir + sep)) await rm(path, { force: true })
  }
}
