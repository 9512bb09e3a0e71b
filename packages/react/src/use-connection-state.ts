import { useCallback, useSyncExternalStore } from 'react'
import type { Client, ConnectionStatus } from '@relay-im/client'

/** The client's connection status ('offline', 'connecting', 'online', 'reconnecting'), re-rendering on each change. */
export function useConnectionState (client: Client): ConnectionStatus {
  const subscribe = useCallback((onChange: () => void) => client.on('status', onChange), [client])
  const read = (): ConnectionStatus => client.status
  return useSyncExternalStore(subscribe, read, read)
}
