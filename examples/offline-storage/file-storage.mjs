// A StorageAdapter for @relay-im/client/offline that keeps everything in one JSON file, for
// Node apps and scripts (browsers use IndexedDbStorage). Writes go to a temporary file first
// and are renamed over the old one, so a crash never leaves half a file.
import { readFile, rename, writeFile } from 'node:fs/promises'

export class FileStorage {
  /** @param {string} path the JSON file (created on the first write) */
  constructor (path) {
    this.path = path
    this.data = undefined
    this.writing = Promise.resolve()
  }

  async load () {
    if (this.data === undefined) {
      try {
        this.data = JSON.parse(await readFile(this.path, 'utf8'))
      } catch (err) {
        if (err.code !== 'ENOENT') throw err
        this.data = {}
      }
    }
    return this.data
  }

  async get (key) {
    const value = (await this.load())[key]
    return value === undefined ? undefined : structuredClone(value)
  }

  async set (key, value) {
    ;(await this.load())[key] = JSON.parse(JSON.stringify(value))
    await this.save()
  }

  async delete (key) {
    delete (await this.load())[key]
    await this.save()
  }

  async keys (prefix) {
    return Object.keys(await this.load()).filter((k) => k.startsWith(prefix))
  }

  save () {
    const text = JSON.stringify(this.data)
    this.writing = this.writing.then(async () => {
      await writeFile(`${this.path}.tmp`, text)
      await rename(`${this.path}.tmp`, this.path)
    })
    return this.writing
  }
}
