import type { en } from './en.js'

/** A plural: `other` always, the rest as `Intl.PluralRules` names them for the language. */
export interface Plural { zero?: string, one?: string, two?: string, few?: string, many?: string, other: string }

export type Key = keyof typeof en

/** A language's strings: every key of the English catalogue, each a string or a plural as there. */
export type Catalogue = { [K in Key]: (typeof en)[K] extends string ? string : Plural }
