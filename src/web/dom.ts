/** Tiny DOM helpers: no framework, just elements with attributes, listeners and children. */

type Child = Node | string | number | null | undefined | false
type AttrValue = string | number | boolean | null | undefined | ((event: any) => void)
export type Attrs = Record<string, AttrValue>

/**
 * `h('button', { class: 'x', testid: 'send', onclick: fn }, 'Send')`. `testid` becomes
 * `data-testid`; `on*` functions become listeners; `true` sets an empty attribute and
 * `false`/null/undefined leave it out.
 */
export function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value)
    } else if (key === 'testid') {
      el.dataset.testid = String(value)
    } else if (key === 'value' && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) {
      el.value = String(value)
    } else {
      el.setAttribute(key, value === true ? '' : String(value))
    }
  }
  append(el, ...children)
  return el
}

export function append (parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

/** Replaces all children. */
export function replace (parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, ...children)
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** First letter(s) for an avatar placeholder. */
export function initials (name: string): string {
  return name.trim().split(/\s+/).slice(0, 2).map((w) => w[0]?.toUpperCase() ?? '').join('') || '?'
}
