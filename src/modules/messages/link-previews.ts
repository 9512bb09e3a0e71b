import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { LinkPreview } from '@relay-im/client/protocol'
import { forbidden } from '../../lib/errors.js'
import { ErrorSchema } from '../../lib/error-schema.js'
import { txSql } from '../../db/tx-sql.js'
import { defineEvent, type Realtime } from '../../plugins/realtime/index.js'
import { IdParams, Message, Uuid, type MessageView } from '../conversations/index.js'
import type { ChangeStream } from './change-stream.js'
import { LINK_PREVIEW_ATTACH_SQL, LINK_PREVIEW_REMOVE_SQL } from './sql.js'

export const LinkPreviewRemoveEvent = Type.Object({ messageId: Uuid }, { additionalProperties: false })

/**
 * A message's link preview on the change stream (docs/protocol.md, "Link previews"): the
 * fetch worker (src/modules/link-previews) attaches one, the sender removes it. Both are
 * changes like an edit: a rev, and `message:updated` with the whole message to every member,
 * so devices that were offline get it from `sync` by rev, once.
 */
export function createLinkPreviewChanges (changes: ChangeStream) {
  return {
    /**
     * Attaches a fetched preview, unless the message no longer wants one for `url` (recalled,
     * the preview removed, or an edit changed the URL since the job was queued): then nothing
     * changes and false is returned. Runs as the sender (who sees their own message).
     */
    async attach (senderId: string, messageId: string, url: string, preview: LinkPreview): Promise<boolean> {
      const { changed } = await changes.change(senderId, messageId, undefined, async (tx, t) => {
        if (t.recalled_at !== null || t.sender_id !== senderId) return { changed: false, result: undefined }
        const n = await txSql(tx).execute(LINK_PREVIEW_ATTACH_SQL, [messageId, url, JSON.stringify(preview)])
        return { changed: n > 0, result: undefined }
      })
      return changed
    },

    /**
     * The sender removes the preview (FORBIDDEN for anyone else; NOT_FOUND when the caller does
     * not see the message). It stays removed: a fetch still queued attaches nothing. Removing
     * when there is none (or already removed) succeeds and tells nobody.
     */
    async remove (userId: string, messageId: string): Promise<MessageView> {
      const { message } = await changes.change(userId, messageId, undefined, async (tx, t) => {
        if (t.sender_id !== userId) throw forbidden('Only the sender can remove a link preview')
        const n = await txSql(tx).execute(LINK_PREVIEW_REMOVE_SQL, [messageId])
        return { changed: n > 0, result: undefined }
      })
      return message
    }
  }
}

export type LinkPreviewChanges = ReturnType<typeof createLinkPreviewChanges>

export function registerLinkPreviewEvents (realtime: Realtime, previews: LinkPreviewChanges): void {
  realtime.handle({
    'message:link-preview:remove': defineEvent(LinkPreviewRemoveEvent, async (ctx, p) => await previews.remove(ctx.userId, p.messageId))
  })
}

/** The REST twin of `message:link-preview:remove`; registered by routes.ts (authenticated). */
export const linkPreviewRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete('/messages/:id/link-preview', {
    schema: {
      tags: ['messages'],
      security: [{ bearer: [] }],
      operationId: 'removeLinkPreview',
      summary: 'Remove the link preview of my own message (same as message:link-preview:remove)',
      params: IdParams,
      response: { 200: Message, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }
    }
  }, async (request) => await app.linkPreviewChanges.remove(request.userId, request.params.id))
}
