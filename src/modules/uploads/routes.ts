import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import multipart from '@fastify/multipart'
import { createReadStream } from 'node:fs'
import { Type } from 'typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError, notFound, payloadTooLarge, unauthorized, validation } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { DownloadQuery, SignedUrlSchema, UploadIdParams, UploadSchema } from './schemas.js'
import { helmetFor, UPLOAD_CSP } from '../../plugins/security-headers.js'
import { createUrlSigner } from './signed-url.js'

const security = [{ bearer: [] }]
/** Room for the multipart boundaries and part headers around the file itself. */
const ENVELOPE_BYTES = 64 * 1024

/**
 * Attachments: `POST /uploads` (multipart, one file) stores a file and returns the content
 * for an image/file message; `GET /uploads/:id` serves it to whoever may see it, with the
 * Authorization header or with a signed URL (`GET /uploads/:id/link`) for `<img src>`.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const uploads = app.uploads
  const signer = createUrlSigner(config.JWT_SECRET)
  /** Downloads that came with a signed URL instead of the Authorization header. */
  /** Downloads authenticated by a signed URL: the reader it was signed for, and its expiry (s). */
  const signedDownloads = new WeakMap<FastifyRequest, { userId: string, expires: number }>()
  // Encapsulated: only these routes parse multipart bodies.
  await app.register(multipart, { throwFileSizeLimit: false })

  app.post('/uploads', {
    onRequest: [app.authenticate, async (request) => {
      // Refuse what is too big before reading it, when the client says so up front.
      const length = Number(request.headers['content-length'])
      if (length > config.UPLOAD_MAX_BYTES + ENVELOPE_BYTES) throw payloadTooLarge(`file larger than ${config.UPLOAD_MAX_BYTES} bytes`)
    }],
    schema: {
      operationId: 'uploadFile',
      summary: 'Upload a file for an image or file message',
      tags: ['uploads'],
      security,
      consumes: ['multipart/form-data'],
      description: 'Upload one file (multipart/form-data, any field name). The declared type must be allowed (UPLOAD_MIME_ALLOWLIST) and match the first bytes; at most UPLOAD_MAX_BYTES.',
      response: { 201: UploadSchema, 400: ErrorSchema, 401: ErrorSchema, 413: ErrorSchema }
    }
  }, async (request, reply) => {
    if (!request.isMultipart()) throw validation('expected a multipart/form-data body with one file')
    // A body that is not valid multipart fails in the parser, before or while the file
    // streams: the client's error (VALIDATION), not ours.
    const malformed = (err: unknown): Error => err instanceof AppError ? err : validation(`malformed multipart body: ${(err as Error).message}`)
    const part = await request.file({
      throwFileSizeLimit: false,
      limits: { fileSize: config.UPLOAD_MAX_BYTES, files: 1, fields: 10, parts: 20 }
    }).catch((err: unknown) => { throw malformed(err) })
    if (part === undefined) throw validation('no file in the request')
    try {
      const saved = await uploads.save(request.userId, {
        name: part.filename,
        mime: part.mimetype,
        stream: part.file,
        truncated: () => part.file.truncated
      })
      return await reply.status(201).send(saved)
    } catch (err) {
      // The parser's error reaches the save through the file stream, destroyed with it.
      const parseError = part.file.errored
      if (parseError !== null && !(err instanceof AppError)) throw malformed(parseError)
      throw err
    }
  })

  app.get('/uploads/:id', {
    // Never active content; embeddable as <img src> by clients on allowed origins.
    ...helmetFor(UPLOAD_CSP, { crossOriginResourcePolicy: { policy: 'cross-origin' } }),
    schema: {
      operationId: 'getUpload',
      summary: 'Download an uploaded file',
      tags: ['uploads'],
      security,
      description: 'The file, for its uploader and for whoever may see a message carrying it (the visibility rule, docs/reliability.md). Authenticate with the Authorization header, or with a signed URL from GET /uploads/:id/link (`?user=&expires=&sig=`, for <img src>). An access token in the URL (`?token=`) is refused (401).',
      params: UploadIdParams,
      querystring: DownloadQuery,
      response: { 200: Type.Unknown({ description: 'The file, with its stored type' }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema }
    },
    onRequest: authenticateHeaderOrSignature
  }, async (request, reply) => {
    let readerId = request.userId
    let maxAge = 3600
    const signed = signedDownloads.get(request)
    if (signed !== undefined) {
      readerId = signed.userId
      maxAge = Math.max(0, Math.min(300, signed.expires - Math.floor(Date.now() / 1000)))
    }
    // Checked on every download: a reader who left the conversation (or whose message was recalled) is refused at once.
    const file = await uploads.find(readerId, request.params.id)
    if (file === null) throw notFound('Upload not found')
    const inline = file.mime.startsWith('image/') || file.mime === 'application/pdf'
    return await reply
      .type(file.mime)
      .header('content-length', file.size)
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`)
      .header('cache-control', `private, max-age=${maxAge}`)
      .send(createReadStream(file.path))
  })

  app.get('/uploads/:id/link', {
    schema: {
      operationId: 'getUploadLink',
      summary: 'A signed URL of an uploaded file, for <img src> and links',
      tags: ['uploads'],
      security,
      description: `A URL that downloads this file for the caller only, until \`expiresAt\` (${signer.ttlS} s), without the Authorization header. Whether the caller may still see the file is checked at every download. 404 for a file the caller may not see.`,
      params: UploadIdParams,
      response: { 200: SignedUrlSchema, 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema }
    },
    onRequest: app.authenticate
  }, async (request) => {
    if (await uploads.find(request.userId, request.params.id) === null) throw notFound('Upload not found')
    return signer.sign(request.params.id, request.userId)
  })

  /**
   * The Authorization header as everywhere, or a signed URL, checked here before anything else
   * (like a token, so a caller without valid credentials learns nothing from validation errors).
   * An access token in the URL is refused: it would end up in logs, browser histories and
   * anything the URL is pasted into.
   */
  async function authenticateHeaderOrSignature (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = request.query as Record<string, unknown>
    if (query.token !== undefined) throw unauthorized('Access tokens are not accepted in URLs: use a signed URL (GET /api/uploads/:id/link)')
    if (request.headers.authorization === undefined && query.sig !== undefined) {
      const { id } = request.params as { id?: unknown }
      const text = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
      const checked = typeof id === 'string'
        ? signer.verify(id, { user: text(query.user), expires: text(query.expires), sig: text(query.sig) })
        : { error: 'invalid' as const }
      if ('error' in checked) throw unauthorized(checked.error === 'expired' ? 'This file link has expired: get a new one (GET /api/uploads/:id/link)' : 'Invalid file link')
      if (!await uploads.readerActive(checked.userId)) throw unauthorized('Invalid file link')
      signedDownloads.set(request, { userId: checked.userId, expires: Number(query.expires) })
      return
    }
    await app.authenticate(request, reply)
  }
}
export default routes
