/**
 * Runs before the page's body is parsed (a classic script in index.html's head): sets `lang`
 * so the styles show the boot text of index.html in the user's language only, before app.js
 * (a module, deferred) has loaded.
 */
import { pickLang } from './i18n/pick.js'

document.documentElement.lang = pickLang()
