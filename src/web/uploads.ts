import { ClientError, type Client, type FileContent } from '@relay-im/client'
import { accessToken } from './session.js'

/** Reads an image's size in the browser, so the bubble can keep its space before it loads. */
async function imageSize (file: File): Promise<{ width: number, height: number } | undefined> {
  try {
    const bitmap = await createImageBitmap(file)
    const size = { width: bitmap.width, height: bitmap.height }
    bitmap.close()
    return size
  } catch {
    return undefined
  }
}

async function post (client: Client, file: File): Promise<Response> {
  const form = new FormData()
  form.append('file', file, file.name)
  return await fetch('/api/uploads', { method: 'POST', headers: { authorization: `Bearer ${accessToken(client)}` }, body: form })
}

/** Uploads one file (POST /api/uploads) and returns the content of an image/file message. */
export async function uploadFile (client: Client, file: File): Promise<{ type: 'image' | 'file', content: FileContent }> {
  let res = await post(client, file)
  if (res.status === 401) {
    await client.refresh()
    res = await post(client, file)
  }
  const body = await res.json().catch(() => undefined) as { error?: { code?: string, message?: string } } & Partial<FileContent> | undefined
  if (!res.ok || body === undefined) {
    throw new ClientError((body?.error?.code ?? 'INTERNAL') as ClientError['code'], body?.error?.message ?? `upload failed (${res.status})`, res.status)
  }
  const content: FileContent = { url: body.url!, name: body.name!, size: body.size!, mime: body.mime! }
  const isImage = content.mime.startsWith('image/')
  if (isImage) Object.assign(content, await imageSize(file))
  return { type: isImage ? 'image' : 'file', content }
}

/**
 * Points `attr` of each element at a file: an upload through its signed URL (minted for this
 * user, cached by the SDK until shortly before it expires; never the access token), set once
 * it arrives; any other URL at once. A file the user may no longer see gets no URL.
 */
export function linkFile (client: Client, url: string, targets: Array<[HTMLElement, 'src' | 'href']>): void {
  const apply = (href: string): void => { for (const [el, attr] of targets) el.setAttribute(attr, href) }
  if (!url.startsWith('/api/uploads/')) { apply(url); return }
  client.fileUrl(url).then(apply, () => { for (const [el] of targets) el.dataset.unavailable = 'true' })
}
