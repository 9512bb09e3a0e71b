import { forbidden } from '../../lib/errors.js'

export type GroupRole = 'owner' | 'admin' | 'member'

/**
 * What each role of a group may do: the one table (docs/protocol.md, "Group roles", is the
 * same table in prose). Every group check goes through `can` / `requireRole`. Rules that
 * depend on the target as well (whom an admin may remove) are in `mayRemove`.
 */
export const GROUP_PERMISSIONS = {
  /** PATCH /groups/:id {name, topic, avatarUrl} */
  editProfile: ['owner', 'admin'],
  /** POST /groups/:id/members */
  addMembers: ['owner', 'admin'],
  /** DELETE /groups/:id/members/:userId (someone else; see mayRemove) */
  removeMembers: ['owner', 'admin'],
  /** PUT /groups/:id/retention (groups and channels) */
  setRetention: ['owner', 'admin'],
  /** PUT /groups/:id/members/:userId/role */
  setRole: ['owner'],
  /** POST /groups/:id/transfer */
  transferOwnership: ['owner'],
  /** GET/POST /groups/:id/invites, DELETE /groups/:id/invites/:code (a code or an invite id) */
  manageInvites: ['owner', 'admin'],
  /** GET /groups/:id/bans, PUT/DELETE /groups/:id/bans/:userId (groups and channels; banning a member is a removal: see mayRemove) */
  manageBans: ['owner', 'admin'],
  /** message:pin, POST/DELETE /conversations/:id/pins */
  pinMessages: ['owner', 'admin'],
  /** poll:close, POST /messages/:id/poll/close on someone else's poll (groups and channels; its creator may always) */
  closePolls: ['owner', 'admin'],
  /** mentions: ["all"] */
  mentionAll: ['owner', 'admin'],
  /** DELETE /groups/:id/members/me (or one's own id) */
  leave: ['owner', 'admin', 'member'],
  /** send, read, react, reply, forward from it */
  send: ['owner', 'admin', 'member']
} as const satisfies Record<string, readonly GroupRole[]>

export type GroupAction = keyof typeof GROUP_PERMISSIONS

const REFUSALS: Record<GroupAction, string> = {
  editProfile: 'Only the owner or an admin can change the group\'s profile',
  addMembers: 'Only the owner or an admin can add members',
  removeMembers: 'Only the owner or an admin can remove members',
  setRetention: 'Only the owner or an admin can set how long messages are kept',
  setRole: 'Only the owner can change roles',
  transferOwnership: 'Only the owner can transfer ownership',
  manageInvites: 'Only the owner or an admin can manage invites',
  manageBans: 'Only the owner or an admin can ban, see and lift bans',
  pinMessages: 'Only the group\'s owner and admins can pin',
  mentionAll: 'Only a group\'s owner or admins can mention all',
  closePolls: 'Only the poll\'s creator, or the owner or an admin, can close it',
  leave: 'Members only',
  send: 'Members only'
}

export function can (role: string, action: GroupAction): boolean {
  return (GROUP_PERMISSIONS[action] as readonly string[]).includes(role)
}

/** FORBIDDEN with the action's message unless `role` may do `action`. */
export function requireRole (role: string, action: GroupAction): void {
  if (!can(role, action)) throw forbidden(REFUSALS[action])
}

/** The owner removes anyone but themselves (they leave); an admin removes plain members only. */
export function mayRemove (actor: GroupRole, target: GroupRole): boolean {
  if (!can(actor, 'removeMembers') || target === 'owner') return false
  return actor === 'owner' || target === 'member'
}
