/**
 * The service worker's own strings, in both languages. The catalogues (en.ts, zh-CN.ts) take
 * them from here, so they are catalogue strings like any other, while sw.js bundles only this
 * small file instead of both whole catalogues (1.4 KB rather than about 28 KB).
 */
export const SW_TEXT = {
  newMessage: { en: 'New message', 'zh-CN': '新消息' }
} as const
