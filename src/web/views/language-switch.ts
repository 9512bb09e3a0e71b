import { h } from '../dom.js'
import { lang, LANGUAGES, setLang, t, type Lang } from '../i18n/index.js'

/** The language menu: the choice is remembered on this browser and the page reloads in it. */
export function languageSwitch (): HTMLElement {
  const select = h('select', { testid: 'lang-switch', 'aria-label': t('lang.label'), class: 'lang-switch' },
    ...Object.entries(LANGUAGES).map(([code, l]) => h('option', { value: code, selected: code === lang() }, l.name)))
  select.addEventListener('change', () => { setLang(select.value as Lang) })
  return select
}
