// suite: default only — the page's own behaviour; the services suite runs the server paths
import t from 'tap'
import { gradientPng, openChat, signedInPage, aliceAndBob, WAIT, id } from './fixtures.js'

/** Images pasted into the composer or dropped on the chat are sent; an image opens in a viewer. */
t.setTimeout(60_000)

t.test('paste and drop send images; the viewer opens and closes', async (t) => {
  const { world, alice } = await aliceAndBob(t)
  const { page } = await signedInPage(world, alice, () => {}, { locale: 'en-US' })
  await openChat(page, 'Bob Builder')
  const png = gradientPng(40, 30).toString('base64')

  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const data = new DataTransfer()
    data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }))
    document.querySelector('[data-testid="composer-input"]')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
  }, png)
  await page.waitForSelector(`${id('message')}[data-mine="true"] ${id('message-image')}[alt="pasted.png"]`, { timeout: WAIT })
  t.pass('a pasted image is sent')

  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const data = new DataTransfer()
    data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }))
    const chat = document.querySelector('[data-testid="chat"]')!
    chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }))
    chat.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }))
  }, png)
  await page.waitForSelector(`${id('message')}[data-mine="true"] ${id('message-image')}[alt="dropped.png"]`, { timeout: WAIT })
  t.pass('a dropped image is sent')

  const pages = page.context().pages().length
  await page.waitForFunction(() => (document.querySelector('[data-testid="message-image"][alt="dropped.png"]') as HTMLImageElement | null)?.complete === true)
  await page.click(`${id('image-open')}:has(${id('message-image')}[alt="dropped.png"])`)
  await page.waitForSelector(id('image-viewer'), { timeout: WAIT })
  t.equal(page.context().pages().length, pages, 'no new tab')
  t.ok(await page.locator(id('viewer-image')).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 40), 'the viewer shows the image')
  t.equal(await page.getAttribute(id('viewer-open'), 'rel'), 'noopener noreferrer')
  await page.keyboard.press('Escape')
  await page.waitForSelector(id('image-viewer'), { state: 'detached', timeout: WAIT })
  t.same(world.errors, [], 'no page errors')
})
