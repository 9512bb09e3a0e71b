import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { PrismaClient } from '../../generated/prisma/client.js'
import type { SqlClient } from '../../db/drivers.js'
import { SHARED_UPLOAD_SQL } from './sql.js'
import { Errors, payloadTooLarge, validation } from '../../lib/errors.js'
import { sanitiseLabel } from '../../lib/text-policy.js'
import { isForeignKeyViolation } from '../../db/constraint-errors.js'
import { matchesMagic, SNIFF_BYTES } from './sniff.js'

export interface UploadsOptions {
  /** Plain SQL (the access check of a download). */
  sql: SqlClient
  /** Where files live; created on first use. */
  dir: string
  maxBytes: number
  /** Lower-case MIME types that may be uploaded. */
  mimeAllowlist: readonly string[]
}

/** One file part of a request, as the route hands it over. */
export interface IncomingFile {
  name: string
  /** The declared Content-Type of the part. */
  mime: string
  stream: Readable
  /** True once the stream was cut at `maxBytes`. */
  truncated: () => boolean
}

export interface UploadInfo { url: string, name: string, size: number, mime: string }

export interface StoredFile { path: string, name: string, size: number, mime: string }

export const uploadUrl = (id: string): string => `/api/uploads/${id}`

/** The type without parameters, lower-case: `Image/PNG; x=1` -> `image/png`. */
export const normaliseMime = (mime: string): string => (mime.split(';')[0] ?? '').trim().toLowerCase()

/**
 * A display name safe to store and send back: no path, and a label (src/lib/text-policy.ts:
 * no control characters, line breaks or bidi controls — `invoice\u202Efdp.exe` would show as
 * "invoiceexe.pdf"), at most 255 characters.
 */
export function cleanName (name: string): string {
  const cleaned = sanitiseLabel(basename(name.replaceAll('\\', '/')), 'file')
  return sanitiseLabel([...cleaned].slice(0, 255).join(''), 'file')
}

const unlinkQuietly = async (path: string): Promise<void> => {
  try {
    await unlink(path)
  } catch {}
}

/** Counts bytes and keeps the first SNIFF_BYTES of a stream passing through. */
class Sniffer extends Transform {
  head = Buffer.alloc(0)
  size = 0
  override _transform (chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.size += chunk.length
    if (this.head.length < SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)])
    done(null, chunk)
  }
}

/**
 * Attachments on local disk. A file is written under a temporary name and renamed only
 * once it is complete, within the size limit and of the type it claims to be; any failure
 * removes what was written, so no partial file or row is left behind.
 */
export function createUploadsService (prisma: PrismaClient, opts: UploadsOptions) {
  const allowed = new Set(opts.mimeAllowlist.map(normaliseMime))

  return {
    async save (uploaderId: string, file: IncomingFile): Promise<UploadInfo> {
      const mime = normaliseMime(file.mime)
      if (!allowed.has(mime)) {
        file.stream.resume()
        throw validation(`file type ${mime || '(none)'} is not allowed; allowed: ${[...allowed].join(', ')}`)
      }
      const id = randomUUID()
      const storageKey = randomUUID()
      const finalPath = join(opts.dir, storageKey)
      const tempPath = join(opts.dir, `.${storageKey}.part`)
      await mkdir(opts.dir, { recursive: true })
      let renamed = false
      try {
        const sniffer = new Sniffer()
        await pipeline(file.stream, sniffer, createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }))
        if (file.truncated()) throw payloadTooLarge(`file larger than ${opts.maxBytes} bytes`)
        if (sniffer.size === 0) throw validation('the file is empty')
        if (!matchesMagic(mime, sniffer.head)) throw validation(`the file's content is not ${mime}`)
        await rename(tempPath, finalPath)
        renamed = true
        const name = cleanName(file.name)
        await prisma.upload.create({ data: { id, uploaderId, name, mime, size: sniffer.size, storageKey } })
        return { url: uploadUrl(id), name, size: sniffer.size, mime }
      } catch (err) {
        await unlinkQuietly(renamed ? finalPath : tempPath)
        // uploader_id is the only reference: the caller's account was deleted after its token was issued.
        if (isForeignKeyViolation(err)) throw Errors.invalidToken()
        throw err
      }
    },

    /**
     * The file behind an upload id, for its uploader and for whoever may see a message
     * carrying it (the visibility rule, conversations/visibility.ts: a member of its
     * conversation, the message neither cleared nor deleted for them, not recalled or removed,
     * and when it is a forwarded copy, its origin neither): a message the uploader sent with
     * its url, or a forward of one of the uploader's messages (forwardedFrom names the
     * original author through chains of forwards; a message by someone else naming the url
     * grants nothing, forwarded or not); and for members of a group whose avatar it is (set
     * by its owner or an admin, who uploaded it). null for anyone else (and for an unknown id
     * or a file gone from disk).
     */
    async find (userId: string, id: string): Promise<StoredFile | null> {
      const row = await prisma.upload.findUnique({ where: { id } })
      if (row === null) return null
      if (row.uploaderId !== userId) {
        const shared = await opts.sql.query<{ ok: number }>(SHARED_UPLOAD_SQL, [userId, row.uploaderId, row.uploaderId, uploadUrl(id)], 'upload_shared')
        if (shared.length === 0) return null
      }
      const path = join(opts.dir, row.storageKey)
      try {
        await stat(path)
      } catch {
        return null
      }
      return { path, name: row.name, size: row.size, mime: row.mime }
    },

    /** Whether a signed URL's reader still has a usable account (not deleted, not suspended). */
    async readerActive (userId: string): Promise<boolean> {
      const user = await prisma.user.findUnique({ where: { id: userId }, select: { deletedAt: true, suspendedAt: true, suspendedUntil: true } })
      if (user === null || user.deletedAt !== null) return false
      return user.suspendedAt === null || (user.suspendedUntil !== null && user.suspendedUntil <= new Date())
    }
  }
}

export type UploadsService = ReturnType<typeof createUploadsService>
