/** The suspension columns of a user row. */
export interface SuspensionState { suspendedAt: Date | null, suspendedUntil: Date | null }

/** Suspended now: set, and either open-ended or not yet over (an expired `until` lifts itself). */
export function isSuspended (row: SuspensionState, now = Date.now()): boolean {
  if (row.suspendedAt === null) return false
  return row.suspendedUntil === null || row.suspendedUntil.getTime() > now
}
