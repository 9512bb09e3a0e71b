import { Readable } from 'node:stream'
import { fetchFollowing, FetchRefused, type FetchContext } from './fetch.js'

/** Preview images: what browsers show inline and the uploads' magic check knows. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']

/** Stores an image as an upload (the uploads service: allow-list, magic number, size), returning its URL. */
export type SaveImage = (ownerId: string, file: { name: string, mime: string, stream: Readable, truncated: () => boolean }) => Promise<{ url: string }>

/**
 * Fetches a page's preview image once (the same outbound checks and manual redirects as the
 * page; a loopback or private image URL is refused like any other) and stores it as an upload
 * of `ownerId`, so readers load it from this server only. Not an image, larger than
 * `maxBytes`, or failing the upload checks: FetchRefused (the preview goes without an image).
 */
export async function storeImage (imageUrl: string, ownerId: string, opts: { maxBytes: number, save: SaveImage }, ctx: FetchContext): Promise<string> {
  const fetched = await fetchFollowing(imageUrl, { accept: IMAGE_TYPES.join(', '), maxBytes: opts.maxBytes }, ctx)
  if (!IMAGE_TYPES.includes(fetched.mime)) throw new FetchRefused(`image is ${fetched.mime || 'untyped'}`)
  if (fetched.response.truncated) throw new FetchRefused(`image larger than ${opts.maxBytes} bytes`)
  const body = fetched.response.body
  const saved = await opts.save(ownerId, {
    name: `link-preview.${fetched.mime.slice('image/'.length)}`,
    mime: fetched.mime,
    stream: Readable.from([body]),
    truncated: () => false
  })
  return saved.url
}
