/** typing:true at most this often while the user keeps typing. */
export const TYPING_THROTTLE_MS = 2000
/** typing:false after this long without a keystroke. */
export const TYPING_IDLE_MS = 3000

interface State { lastTrueAt: number, idle: ReturnType<typeof setTimeout> }

/** Per-conversation typing indicator with throttling and an idle stop. */
export class Typing {
  private readonly states = new Map<string, State>()

  private readonly emit: (conversationId: string, typing: boolean) => void
  constructor (emit: (conversationId: string, typing: boolean) => void) {
    this.emit = emit
  }

  touch (conversationId: string): void {
    const now = Date.now()
    const state = this.states.get(conversationId)
    if (state !== undefined) clearTimeout(state.idle)
    const idle = setTimeout(() => { this.stop(conversationId) }, TYPING_IDLE_MS)
    if (state === undefined || now - state.lastTrueAt >= TYPING_THROTTLE_MS) {
      this.states.set(conversationId, { lastTrueAt: now, idle })
      this.emit(conversationId, true)
    } else {
      state.idle = idle
    }
  }

  /** Emits typing:false if typing:true was the last thing said about the conversation. */
  stop (conversationId: string): void {
    const state = this.states.get(conversationId)
    if (state === undefined) return
    clearTimeout(state.idle)
    this.states.delete(conversationId)
    this.emit(conversationId, false)
  }

  /** Forgets every state without emitting (the connection is gone, so is the indicator). */
  clear (): void {
    for (const state of this.states.values()) clearTimeout(state.idle)
    this.states.clear()
  }
}
