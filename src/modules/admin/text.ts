/** Free text bound for a text column, trimmed (NUL never gets here: the request schema's text rule refuses it). */
export function cleanText (value: string): string {
  return value.trim()
}
