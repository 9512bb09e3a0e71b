import { attachmentKind } from './attachment.js'

export const file = attachmentKind('file')
