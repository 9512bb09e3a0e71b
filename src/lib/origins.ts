/** True when `origin` is in the allowlist (`*` allows any). Same-origin checks are the caller's. */
export function originAllowed (origin: string, allowlist: readonly string[]): boolean {
  return allowlist.includes('*') || allowlist.includes(origin)
}
