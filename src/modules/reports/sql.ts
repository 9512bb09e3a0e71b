/*
 * The reports module's named SQL statements (README.md, "Project layout": data access), run
 * through SqlClient.query: txSql(tx) inside a Prisma transaction.
 */

/** One reporter's reports at a time ($1: `report:<reporter id>`), until the transaction ends. */
export const REPORTER_LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))'

/** Message $2, if reporter $1 is a member of its conversation. */
export const REPORTABLE_MESSAGE_SQL = `
            SELECT x.id FROM messages x JOIN conversation_members m ON m.conversation_id = x.conversation_id AND m.user_id = $1::uuid
            WHERE x.id = $2::uuid`
