/** What the page needs from `GET /api/version` beyond the SDK's check (the SDK's type lists only protocol and server). */
export interface ServerInfo {
  /** Seconds after sending during which a message can be recalled. */
  recallWindowS: number
}

/** The server's default (config RECALL_WINDOW_S), for a server that does not say. */
const DEFAULT_RECALL_WINDOW_S = 120

export async function serverInfo (): Promise<ServerInfo> {
  try {
    const res = await fetch('/api/version')
    const body = await res.json() as { recallWindowS?: unknown }
    return { recallWindowS: typeof body.recallWindowS === 'number' ? body.recallWindowS : DEFAULT_RECALL_WINDOW_S }
  } catch {
    return { recallWindowS: DEFAULT_RECALL_WINDOW_S }
  }
}
