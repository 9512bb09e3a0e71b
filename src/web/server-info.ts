import type { Client, VersionInfo } from '@relay-im/client'

/** The server's default (config RECALL_WINDOW_S), for a server that does not say. */
const DEFAULT_RECALL_WINDOW_S = 120

/**
 * Seconds after sending during which a message can be recalled: from what `GET /api/version`
 * answered when the SDK checked the protocol at connect (`client.serverInfo`), so the page
 * never asks a second time. `undefined` while not connected yet.
 */
export function recallWindowOf (info: VersionInfo | undefined): number {
  return typeof info?.recallWindowS === 'number' ? info.recallWindowS : DEFAULT_RECALL_WINDOW_S
}

/** Keeps `apply` told of the recall window each time the client is online (a server may change it across a restart). */
export function followServerInfo (client: Client, apply: (recallWindowS: number) => void): void {
  if (client.status === 'online') apply(recallWindowOf(client.serverInfo))
  client.on('status', (s) => { if (s === 'online') apply(recallWindowOf(client.serverInfo)) })
}
