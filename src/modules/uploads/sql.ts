import { contentLive, originLive, visibleTo } from '../conversations/index.js'

/*
 * The uploads module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query (`app.sql`) with the name given at the call.
 */

/**
 * Whether reader $1 may fetch the file at url $4 uploaded by $2 (the same id as text, $3): a
 * live message they see that carries it, sent by the uploader or forwarded from them, a live
 * message they see whose link preview shows it, or the avatar of a group they are a member of.
 */
export const SHARED_UPLOAD_SQL = `
          SELECT 1 AS ok FROM messages x
          JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
          WHERE (x.sender_id = $2::uuid OR x.forwarded_from->>'senderId' = $3)
            AND x.type IN ('image', 'file')
            AND x.content->>'url' = $4
            AND ${visibleTo('x', 'm')} AND ${contentLive('x')} AND ${originLive('x')}
          UNION ALL
          -- a link preview's image (stored once per URL, maybe for another sender), for whoever sees a message showing it
          SELECT 1 AS ok FROM messages x
          JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
          WHERE x.link_preview->>'image' = $4
            AND ${visibleTo('x', 'm')} AND ${contentLive('x')} AND ${originLive('x')}
          UNION ALL
          -- a group's avatar, for its members
          SELECT 1 AS ok FROM conversations c
          JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $1::uuid
          WHERE c.avatar_url = $4
          LIMIT 1`
