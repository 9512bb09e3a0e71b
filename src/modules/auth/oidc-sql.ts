/*
 * The OpenID Connect part of the auth module's named SQL (README.md, "Project layout": data
 * access), run through txSql(tx) inside a Prisma transaction.
 */

/** User $1's password hash under the row's lock: two unlinks at once cannot both see "another way in left". */
export const USER_PASSWORD_LOCK_SQL = 'SELECT password_hash FROM users WHERE id = $1::uuid FOR UPDATE'
