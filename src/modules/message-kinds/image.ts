import { attachmentKind } from './attachment.js'

export const image = attachmentKind('image')
