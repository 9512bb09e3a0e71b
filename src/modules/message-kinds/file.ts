import { attachmentKind } from './attachment.js'

export const file = attachmentKind('file', (name) => name === null ? '[file]' : `[file] ${name}`)
