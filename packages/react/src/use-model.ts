import { useEffect, useState, useSyncExternalStore } from 'react'

interface Model<S> {
  subscribe: (listener: () => void) => () => void
  getSnapshot: () => S
  close: () => void
}

const noSubscription = (): (() => void) => () => {}
const sameDeps = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]))

/**
 * Makes a model in an effect and closes it in the effect's cleanup (so StrictMode's second
 * mount gets a fresh one), and reads its snapshot with useSyncExternalStore: `empty` until
 * the model for these `deps` exists (the first render, server rendering, or `make` gave none).
 */
export function useModel<M extends Model<S>, S> (make: () => M | undefined, empty: S, deps: readonly unknown[]): { model: M | undefined, snapshot: S } {
  const [made, setMade] = useState<{ model: M, deps: readonly unknown[] }>()
  useEffect(() => {
    const model = make()
    if (model === undefined) return
    setMade({ model, deps })
    return () => { model.close() }
  }, deps)
  // A model made for other deps (another conversation) is not shown while its successor is made.
  const model = made !== undefined && sameDeps(made.deps, deps) ? made.model : undefined
  const snapshot = useSyncExternalStore(
    model?.subscribe ?? noSubscription,
    model?.getSnapshot ?? (() => empty),
    () => empty
  )
  return { model, snapshot }
}
