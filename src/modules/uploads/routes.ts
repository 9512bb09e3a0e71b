import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import multipart from '@fastify/multipart'
import { createReadStream } from 'node:fs'
import { Type } from 'typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError, notFound, payloadTooLarge, validation } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { DownloadQuery, UploadIdParams, UploadSchema } from './schemas.js'
import { createUploadsService } from './service.js'
import { helmetFor, UPLOAD_CSP } from '../../plugins/security-headers.js'

const security = [{ bearer: [] }]
/** Room for the multipart boundaries and part headers around the file itself. */
const ENVELOPE_BYTES = 64 * 1024

/**
 * Attachments: `POST /uploads` (multipart, one file) stores a file and returns the content
 * for an image/file message; `GET /uploads/:id` serves it to whoever may see it.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app
  const uploads = createUploadsService(app.prisma, {
    dir: config.UPLOAD_DIR,
    maxBytes: config.UPLOAD_MAX_BYTES,
    mimeAllowlist: config.uploadMimeAllowlist
  })
  // Encapsulated: only these routes parse multipart bodies.
  await app.register(multipart, { throwFileSizeLimit: false })
  app.addHook('onRequest', authenticateHeaderOrQuery)

  app.post('/uploads', {
    onRequest: [async (request) => {
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
    config: helmetFor(UPLOAD_CSP, { crossOriginResourcePolicy: { policy: 'cross-origin' } }),
    schema: {
      operationId: 'getUpload',
      summary: 'Download an uploaded file',
      tags: ['uploads'],
      security,
      description: 'The file, for its uploader and members of conversations where the uploader sent it. `?token=<access token>` works instead of the Authorization header (for <img src>).',
      params: UploadIdParams,
      querystring: DownloadQuery,
      response: { 200: Type.Unknown({ description: 'The file, with its stored type' }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema }
    }
  }, async (request, reply) => {
    const file = await uploads.find(request.userId, request.params.id)
    if (file === null) throw notFound('Upload not found')
    const inline = file.mime.startsWith('image/') || file.mime === 'application/pdf'
    return await reply
      .type(file.mime)
      .header('content-length', file.size)
      .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`)
      .header('cache-control', 'private, max-age=3600')
      .send(createReadStream(file.path))
  })

  /**
   * Bearer header as everywhere; downloads also take `?token=`, for elements that cannot send
   * headers. Uploads do not: a token in a URL ends up in logs and histories.
   */
  async function authenticateHeaderOrQuery (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = request.method === 'GET' ? (request.query as { token?: unknown }).token : undefined
    if (request.headers.authorization !== undefined || typeof token !== 'string') {
      await app.authenticate(request, reply)
      return
    }
    request.userId = app.verifyAccessToken(token)
  }
}
export default routes
