import { setTimeout as sleep } from 'node:timers/promises'
import type PgBoss from 'pg-boss'
import type { LinkPreview } from '@relay-im/client/protocol'
import type { SqlClient } from '../../db/drivers.js'
import { fetchFollowing, FetchRefused, refusedByPolicy, type FetchContext } from './fetch.js'
import { storeImage, type SaveImage } from './image.js'
import { decodeBody, parsePage } from './parse.js'
import { CACHE_CLAIM_SQL, CACHE_GET_SQL, CACHE_PUT_SQL, CACHE_RELEASE_SQL, TARGET_SQL } from './sql.js'

/** How often a node waiting on another's fetch of a URL looks for its result. */
const CLAIM_POLL_MS = 200
/** How long a fetch that timed out or hit a network error is remembered (at most LINK_PREVIEW_CACHE_S). */
export const FAILURE_CACHE_S = 60

export interface LinkPreviewsDeps {
  sql: SqlClient
  fetch: FetchContext
  pageMaxBytes: number
  imageMaxBytes: number
  cacheS: number
  saveImage: SaveImage
  /** Attaches a preview on the change stream (the messages module); false when the message no longer wants it. */
  attach: (senderId: string, messageId: string, url: string, preview: LinkPreview) => Promise<boolean>
  log: { warn: (obj: object, msg: string) => void, debug: (obj: object, msg: string) => void }
}

export interface FetchJob { messageId: string, url: string }

/** What one fetch found: a preview, or nothing to show; `cache` false when it is worth trying again soon (kept FAILURE_CACHE_S only). */
interface Found { preview: LinkPreview | null, cache: boolean, reason?: string }

/**
 * The fetch behind a link preview, worked from the `link-preview` queue after the message
 * committed: the cached preview of the URL when fresh, else the page (only `text/html` is
 * parsed, at most LINK_PREVIEW_PAGE_MAX_BYTES read) and its image (stored as an upload), then
 * attached to the message through the change stream.
 */
export function createLinkPreviews (deps: LinkPreviewsDeps) {
  /** Fetches under way on this node, by URL. */
  const inFlight = new Map<string, Promise<LinkPreview | null>>()
  /** How long a claim holds: the page's and the image's whole deadlines (twice the timeout each), and slack for storing. */
  const claimS = Math.ceil(4 * deps.fetch.timeoutMs / 1000) + 10

  /** The page at `url` as a preview; the image is stored for `ownerId`. */
  async function fetchPreview (url: string, ownerId: string): Promise<Found> {
    let page
    try {
      page = await fetchFollowing(url, { accept: 'text/html, application/xhtml+xml;q=0.9', maxBytes: deps.pageMaxBytes }, deps.fetch)
    } catch (err) {
      // Refusals by policy and pages that answered with an error are cached (no point asking
      // again soon); timeouts and network errors only briefly.
      const cache = refusedByPolicy(err) || err instanceof FetchRefused
      return { preview: null, cache, reason: (err as Error).message }
    }
    if (page.mime !== 'text/html' && page.mime !== 'application/xhtml+xml') return { preview: null, cache: true, reason: `not HTML: ${page.mime || 'untyped'}` }
    const contentType = page.response.headers['content-type']
    const meta = parsePage(decodeBody(page.response.body, Array.isArray(contentType) ? contentType[0] : contentType), page.url)
    if (meta.title === undefined && meta.description === undefined) return { preview: null, cache: true, reason: 'no title or description' }
    let image: string | null = null
    if (meta.imageUrl !== undefined) {
      try {
        image = await storeImage(meta.imageUrl, ownerId, { maxBytes: deps.imageMaxBytes, save: deps.saveImage }, deps.fetch)
      } catch (err) {
        deps.log.debug({ url, image: meta.imageUrl, reason: (err as Error).message }, 'link preview image dropped')
      }
    }
    return { preview: { url, title: meta.title ?? null, description: meta.description ?? null, siteName: meta.siteName ?? null, image }, cache: true }
  }

  /** Fetches `url` for `ownerId`, logs why nothing came, and caches what is worth caching (the claim becomes the result). */
  async function fetchAndCache (url: string, ownerId: string, claimed: boolean): Promise<LinkPreview | null> {
    let found: Found
    try {
      found = await fetchPreview(url, ownerId)
    } catch (err) {
      if (claimed) await deps.sql.query(CACHE_RELEASE_SQL, [url], 'link_preview_cache_release')
      throw err
    }
    if (found.reason !== undefined) deps.log.debug({ url, reason: found.reason }, 'no link preview')
    if (deps.cacheS > 0) {
      // A timeout or network error is remembered briefly (the messages of a burst make one try), a result for the cache time.
      const keepS = found.cache ? deps.cacheS : Math.min(deps.cacheS, FAILURE_CACHE_S)
      await deps.sql.query(CACHE_PUT_SQL, [url, found.preview === null ? null : JSON.stringify(found.preview), keepS], 'link_preview_cache_put')
    }
    return found.preview
  }

  /**
   * The preview of `url` across nodes: the cached one while fresh; else this node claims the
   * fetch (a `pending` cache row) and fetches; else another node holds the claim, and this one
   * waits for its result (or for the claim to run out, when its node died, and claims it).
   * Without a cache (LINK_PREVIEW_CACHE_S=0) there is nothing to share: each node fetches.
   */
  async function sharedPreview (url: string, ownerId: string): Promise<LinkPreview | null> {
    if (deps.cacheS === 0) return await fetchAndCache(url, ownerId, false)
    for (;;) {
      const [cached] = await deps.sql.query<{ preview: LinkPreview | null, pending: boolean }>(CACHE_GET_SQL, [url], 'link_preview_cache_get')
      if (cached !== undefined && !cached.pending) return cached.preview
      if (cached === undefined) {
        const [claim] = await deps.sql.query<{ url: string }>(CACHE_CLAIM_SQL, [url, claimS], 'link_preview_cache_claim')
        if (claim !== undefined) return await fetchAndCache(url, ownerId, true)
      }
      await sleep(CLAIM_POLL_MS)
    }
  }

  /**
   * The preview of `url`, fetched at most once at a time (single-flight): jobs of this node
   * for a URL already being fetched share that fetch; other nodes wait on its claim.
   */
  async function previewOf (url: string, ownerId: string): Promise<LinkPreview | null> {
    let flight = inFlight.get(url)
    if (flight === undefined) {
      flight = sharedPreview(url, ownerId).finally(() => { inFlight.delete(url) })
      inFlight.set(url, flight)
    }
    return await flight
  }

  /** One job: nothing when the message no longer wants this preview (recalled, removed, edited) before or after the fetch. */
  async function run (job: FetchJob): Promise<boolean> {
    const [target] = await deps.sql.query<{ sender_id: string }>(TARGET_SQL, [job.messageId, job.url], 'link_preview_target')
    if (target === undefined) return false
    const preview = await previewOf(job.url, target.sender_id)
    if (preview === null) return false
    try {
      return await deps.attach(target.sender_id, job.messageId, job.url, preview)
    } catch (err) {
      // NOT_FOUND: the sender no longer sees the message (left, deleted it for themselves, or it is gone).
      if ((err as { code?: string }).code === 'NOT_FOUND') return false
      throw err
    }
  }

  /** Works a batch of `link-preview` jobs; a failure (the database) fails that job, to be retried by the queue. */
  async function work (jobs: Array<PgBoss.Job<FetchJob>>): Promise<void> {
    const failed = await Promise.all(jobs.map(async (job) => {
      try {
        await run(job.data)
        return undefined
      } catch (err) {
        deps.log.warn({ err, messageId: job.data.messageId }, 'link preview job failed')
        return err
      }
    }))
    const first = failed.find((e) => e !== undefined)
    if (first !== undefined) throw first
  }

  return { run, previewOf, work }
}

export type LinkPreviews = ReturnType<typeof createLinkPreviews>
