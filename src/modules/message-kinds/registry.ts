import type { Static } from 'typebox'
import type { FileContent, MessageContent, PollContent, MessageType as SdkMessageType, SendableMessageType, SystemContent as SdkSystemContent } from '@relay-im/client/protocol'
import { checkValues } from './content-values.js'
import type { ContentLimits, MessageKind } from './kind.js'
import { text } from './text.js'
import { image } from './image.js'
import { file } from './file.js'
import { custom } from './custom.js'
import { systemKind } from './system.js'
import { poll } from './poll.js'

/**
 * Every message kind, one entry each. `satisfies` checks the keys both ways against the SDK's
 * `MessageType` (a kind missing here, or one the SDK does not name, is a compile error);
 * test/modules/message-kinds/registry.test.ts checks them against the database enum.
 */
export const KINDS = { text, image, file, custom, system: systemKind, poll } satisfies { [K in SdkMessageType]: MessageKind<K> }

export type MessageType = keyof typeof KINDS

/** The kinds, in registry order: the one list the server's schemas are built from. */
export const MESSAGE_TYPES = Object.keys(KINDS) as MessageType[]
/** What a client may send. */
export const SENDABLE_TYPES = MESSAGE_TYPES.filter((t) => KINDS[t].sendable) as SendableMessageType[]

export function kindOf (type: MessageType): MessageKind {
  return KINDS[type]
}

/** Checks `content` against its message type; throws VALIDATION with the reason. */
export function checkContent (type: MessageType, content: unknown, limits: ContentLimits): void {
  // First, iteratively: a kind's checks may recurse (JSON.stringify), so depth is bounded before them.
  checkValues(content)
  KINDS[type].check(content, limits)
}

/** The one preview of a message (push, reply quotes, notifications); see each kind. */
export function previewOf (type: MessageType, content: unknown): string {
  return (KINDS[type] as MessageKind | undefined)?.preview(content) ?? `[${type}]`
}

/** The text search finds the message by, or null (also for a kind that is not searched). */
export function searchTextOf (type: MessageType, content: unknown): string | null {
  return kindOf(type).searchText?.(content) ?? null
}

/** The kinds search covers. */
export const SEARCHABLE_TYPES = MESSAGE_TYPES.filter((t) => kindOf(t).searchText !== undefined)

// Each content schema describes content the SDK's types accept (protocol.ts).
type Assignable<A, B> = [A] extends [B] ? true : never
const sdkContent: {
  text: Assignable<Static<typeof text.content>, string & MessageContent>
  image: Assignable<Static<typeof image.content>, FileContent>
  file: Assignable<Static<typeof file.content>, FileContent>
  custom: Assignable<Static<typeof custom.content>, MessageContent>
  system: Assignable<Static<typeof systemKind.content>, SdkSystemContent>
  poll: Assignable<Static<typeof poll.content>, PollContent>
} = { text: true, image: true, file: true, custom: true, system: true, poll: true }
void sdkContent
