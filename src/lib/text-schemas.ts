import { Type, type TString, type TStringOptions } from 'typebox'
import Format from 'typebox/format'
import { labelProblem, textProblem } from './text-policy.js'

// Registered before any schema below exists, so no compiled validator misses them (a
// validator looks its formats up when it is compiled).
Format.Set('text', (value) => textProblem(value) === undefined)
Format.Set('label', (value) => labelProblem(value) === undefined)

/**
 * The two kinds of client text (src/lib/text-policy.ts) as schema types. Every string field
 * of a request schema is one of these, or carries another format (uuid, date-time, uri) or a
 * fixed value; test/security/text-policy.test.ts fails for any other string field.
 */

/** Free text: anything but NUL and lone surrogates (message text, reasons, passwords, tokens, queries). */
export const Text = (options: Omit<TStringOptions, 'format'> = {}): TString => Type.String({ ...options, format: 'text' })

/** A single-line label (names, topics): the label policy; stored NFC-normalised and trimmed. */
export const Label = (options: Omit<TStringOptions, 'format'> = {}): TString => Type.String({ ...options, format: 'label' })
