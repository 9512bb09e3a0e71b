/** `scheme://host[:port]` in the form browsers send it (lower case, default port dropped, no path). */
function normalise (origin: string): string {
  try {
    const { origin: normalised } = new URL(origin)
    // Opaque origins ("null", file:, data:) normalise to "null": keep them as written.
    return normalised === 'null' ? origin : normalised
  } catch {
    return origin
  }
}

/**
 * True when `origin` is in the allowlist (`*` allows any). Entries are compared as origins,
 * so `https://Chat.Example.com/` in the config matches the header `https://chat.example.com`.
 * Same-origin checks are the caller's.
 */
export function originAllowed (origin: string, allowlist: readonly string[]): boolean {
  if (allowlist.includes('*')) return true
  const wanted = normalise(origin)
  return allowlist.some((entry) => normalise(entry) === wanted)
}
