import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import type { App } from '../../../src/app.js'

/** Smallest valid-looking heads of each type (the server checks only the first bytes). */
export const SAMPLES = {
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR-rest-of-png')]),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF-rest')]),
  gif: Buffer.from('GIF89a-rest-of-gif'),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x10, 0, 0, 0]), Buffer.from('WEBPVP8 rest')]),
  pdf: Buffer.from('%PDF-1.7\n%rest of pdf\n'),
  zip: Buffer.concat([Buffer.from('PK'), Buffer.from([3, 4]), Buffer.from('rest of zip')]),
  text: Buffer.from('hello, plain text\n')
}

export interface Part {
  field?: string
  /** A file part when set; a plain field otherwise. */
  filename?: string
  type?: string
  data: Buffer | string
}

/** A multipart/form-data body built by hand, so tests control every byte and header. */
export function multipart (parts: Part[]): { payload: Buffer, headers: Record<string, string> } {
  const boundary = `----relay${randomUUID().replaceAll('-', '')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"`
    if (p.filename !== undefined) head += `; filename="${p.filename}"`
    head += '\r\n'
    if (p.type !== undefined) head += `Content-Type: ${p.type}\r\n`
    chunks.push(Buffer.from(head + '\r\n'), Buffer.from(p.data), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** Files in the upload directory, temporary ones included. */
export function filesIn (dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : []
}

export async function uploadRows (app: App, uploaderId: string): Promise<number> {
  return await app.prisma.upload.count({ where: { uploaderId } })
}
