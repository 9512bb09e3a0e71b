import { lang, t } from './index.js'

const DAY_MS = 86_400_000

function startOfDay (d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
}

/** Whole calendar days from `d` to now (0 today, 1 yesterday), in the user's time zone. */
export function daysAgo (d: Date, now = new Date()): number {
  return Math.round((startOfDay(now) - startOfDay(d)) / DAY_MS)
}

/** "14:05" / "下午2:05": the time of day in the user's locale. */
export function timeOf (iso: string): string {
  return new Intl.DateTimeFormat(lang(), { hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

/** "Today", "Yesterday", a weekday this week, else the date (with the year when not this one). */
export function dayLabel (iso: string, now = new Date()): string {
  const d = new Date(iso)
  const ago = daysAgo(d, now)
  if (ago === 0) return t('chat.today')
  if (ago === 1) return t('chat.yesterday')
  if (ago > 1 && ago < 7) return new Intl.DateTimeFormat(lang(), { weekday: 'long' }).format(d)
  const sameYear = d.getFullYear() === now.getFullYear()
  return new Intl.DateTimeFormat(lang(), sameYear ? { month: 'long', day: 'numeric', weekday: 'short' } : { year: 'numeric', month: 'long', day: 'numeric' }).format(d)
}

/** A moment with its day: "14:05" today, "yesterday 14:05", else "3 Dec 14:05" (with the year when not this one). */
export function dateTimeOf (iso: string, now = new Date()): string {
  const d = new Date(iso)
  const ago = daysAgo(d, now)
  if (ago === 0) return timeOf(iso)
  if (ago === 1) {
    const yesterday = new Intl.RelativeTimeFormat(lang(), { numeric: 'auto' }).format(-1, 'day')
    return `${yesterday} ${timeOf(iso)}`
  }
  const sameYear = d.getFullYear() === now.getFullYear()
  return new Intl.DateTimeFormat(lang(), sameYear
    ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d)
}

/** The day key of a moment (for separators): equal for two moments of the same local day. */
export function dayKey (iso: string): number {
  return startOfDay(new Date(iso))
}
