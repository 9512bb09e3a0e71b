/** The page's languages. */
export type Lang = 'en' | 'zh-CN'

/** Where the page remembers the language chosen with its switch. */
export const STORED_LANG = 'relay.lang'

/**
 * The language: the one chosen on this browser, else the browser's own (Chinese or English).
 * No catalogue here: the boot script (boot-lang.ts) and the service worker use it too (a
 * worker has no localStorage, so it goes by the browser's languages).
 */
export function pickLang (): Lang {
  let saved: string | null = null
  try { saved = localStorage.getItem(STORED_LANG) } catch {}
  if (saved === 'en' || saved === 'zh-CN') return saved
  const preferred = navigator.languages.length > 0 ? navigator.languages : [navigator.language]
  for (const l of preferred) {
    const lower = l.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en'
  }
  return 'en'
}
