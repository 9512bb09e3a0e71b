/**
 * Server bugs the security tests found, one flag each. All are fixed (the content walk in
 * src/modules/message-kinds/content-values.ts, frameworkErrors and strictPreflight in src/app.ts,
 * deleted-account writes in groups/service.ts and uploads/service.ts); a false flag lets the
 * fuzzers generate those inputs. `frameworkErrors` stays true: unroutable paths never reach a
 * route (so the per-route properties do not apply to them); framework-errors.test.ts checks
 * them instead.
 */

export const KNOWN_BUGS = {
  /**
   * A URL with an invalid percent-encoding (`/api/users/%c3%28`) gets Fastify's own
   * `{"error":"Bad Request","code":"FST_ERR_BAD_URL",...}` body, and a path parameter over
   * 100 characters its `FST_ERR_MAX_PARAM_LENGTH` 414 body: neither is the contract's
   * `{error:{code,message}}`. Fix: the `frameworkErrors` option of Fastify() in src/app.ts.
   */
  frameworkErrors: true,
  /**
   * An OPTIONS request that is not a complete CORS preflight (no Origin or no
   * Access-Control-Request-Method) gets @fastify/cors's plain-text 400 "Invalid Preflight
   * Request" (its strictPreflight default). Fix: `strictPreflight: false` in the cors options
   * in src/app.ts (the request then falls through to the 404 handler's contract body), or
   * answer it with the contract's error.
   */
  strictPreflight: false,
  /**
   * Message content nested a few thousand levels deep (a 10 KB body) overflows the stack in
   * the content checks (JSON.stringify in the custom kind's check, and the recursive
   * hasNul): 500 INTERNAL instead of 400 VALIDATION.
   */
  deepContent: false,
  /**
   * A lone UTF-16 surrogate ("\ud800") in text or custom content passes validation and the
   * database refuses the jsonb: 500 INTERNAL instead of 400 VALIDATION
   * (src/modules/message-kinds/content-values.ts).
   */
  loneSurrogateContent: false,
  /**
   * A valid access token of a deleted user: POST /api/groups and POST /api/uploads fail on
   * the foreign key to users and answer 500 INTERNAL (groups/service.ts create,
   * uploads/service.ts save). Nothing is written. Fix: answer UNAUTHORIZED, as GET
   * /api/users/me does, e.g. by mapping Prisma's P2003 on the caller's id, or by checking
   * the user in `authenticate` (src/plugins/auth.ts).
   */
  deletedUserWrites: false
}
