export { Store, type Listener } from './store.js'
export { ConversationList, type ConversationListOptions, type ConversationListSnapshot } from './conversation-list.js'
export { MessageList, inTimeline, type ListMessage, type MessageListOptions, type MessageListSnapshot, type SendStatus } from './message-list.js'
export { compareConversations, countsAsUnread, mentions } from './unread.js'
