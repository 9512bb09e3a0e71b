/** Progress goes to stderr, so `--json` leaves stdout with the result alone. */
export function log (...parts: unknown[]): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${parts.map(String).join(' ')}\n`)
}
