import type { Catalogue, Key, Plural } from './catalogue.js'
import { en } from './en.js'
import { zhCN } from './zh-CN.js'
import { pickLang, STORED_LANG, type Lang } from './pick.js'

export type { Key } from './catalogue.js'

export const LANGUAGES = { en: { name: 'English', strings: en as Catalogue }, 'zh-CN': { name: '简体中文', strings: zhCN } } as const satisfies Record<Lang, unknown>
export type { Lang }

const current: Lang = pickLang()
document.documentElement.lang = current

export function lang (): Lang { return current }

/** Remembers the choice and reloads: every view is built from the catalogue again. */
export function setLang (next: Lang): void {
  try { localStorage.setItem(STORED_LANG, next) } catch {}
  location.reload()
}

/** The string for `key` with `{name}` filled in; a plural picks its form from `params.count`. */
export function t (key: Key, params: Record<string, string | number> = {}): string {
  const entry = LANGUAGES[current].strings[key] as string | Plural
  let text: string
  if (typeof entry === 'string') text = entry
  else {
    const form = new Intl.PluralRules(current).select(Number(params.count ?? 0))
    text = entry[form] ?? entry.other
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => name in params ? String(params[name]) : whole)
}

/** The error code's sentence: from `ClientError.code`, never the server's raw text. */
export function errorText (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && `error.${code}` in en) return t(`error.${code}` as Key)
  if (err instanceof TypeError) return t('error.NETWORK')
  return t('error.unknown')
}
