import t from 'tap'
import { decodeBody, parsePage } from '../../../src/modules/link-previews/index.js'

/**
 * Which character set a page is decoded in: a byte-order mark, else the Content-Type's
 * charset, else <meta charset> / <meta http-equiv="content-type">, else UTF-8. Pages in GBK,
 * Big5 and Shift_JIS, written out as bytes (Node's TextDecoder reads them, nothing encodes them).
 */

const GBK = Buffer.from('d6d0cec4b1eacce2', 'hex') // 中文标题
const BIG5 = Buffer.from('a4a4a4e5', 'hex') // 中文
const SJIS = Buffer.from('93fa967b8cea', 'hex') // 日本語
const html = (head: string, title: Buffer): Buffer => Buffer.concat([Buffer.from(`<html><head>${head}<title>`), title, Buffer.from('</title></head></html>')])
const titleOf = (body: Buffer, contentType?: string): string | undefined => parsePage(decodeBody(body, contentType), new URL('https://example.com/')).title

t.test('the Content-Type charset decides first', async (t) => {
  t.equal(titleOf(html('', GBK), 'text/html; charset=gbk'), '中文标题')
  t.equal(titleOf(html('', GBK), 'text/html; charset="GB18030"'), '中文标题', 'GB18030 is a superset of GBK')
  t.equal(titleOf(html('', BIG5), 'text/html;charset=big5'), '中文')
  t.equal(titleOf(html('<meta charset="gbk">', SJIS), 'text/html; charset=Shift_JIS'), '日本語', 'over a meta that says otherwise')
})

t.test('else <meta charset> or <meta http-equiv>, looked for in the first bytes', async (t) => {
  t.equal(titleOf(html('<meta charset="shift_jis">', SJIS), 'text/html'), '日本語')
  t.equal(titleOf(html('<META CHARSET=\'GB2312\'>', GBK), undefined), '中文标题', 'any case, no Content-Type at all')
  t.equal(titleOf(html('<meta http-equiv="Content-Type" content="text/html; charset=big5">', BIG5), 'text/html'), '中文')
  t.equal(titleOf(html('<meta charset="gbk">', GBK), 'text/html; charset=no-such-charset'), '中文标题', 'an unknown header label gives way to the meta')
  t.equal(titleOf(html('<meta charset="utf-16">', Buffer.from('é', 'utf8')), 'text/html'), 'é', 'a meta naming UTF-16 means UTF-8 (as in browsers)')
  const late = Buffer.concat([Buffer.from(`<html><head><!-- ${'x'.repeat(5000)} --><meta charset="gbk"><title>`), GBK, Buffer.from('</title>')])
  t.not(titleOf(late, 'text/html'), '中文标题', 'a meta after the first 4 KiB is not looked for (UTF-8 then)')
})

t.test('else UTF-8; a byte-order mark outranks every label', async (t) => {
  t.equal(titleOf(html('', Buffer.from('Ünïcode ✓', 'utf8')), 'text/html'), 'Ünïcode ✓')
  const bom = Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), html('', Buffer.from('naïve', 'utf8'))])
  t.equal(titleOf(bom, 'text/html; charset=shift_jis'), 'naïve')
  const utf16 = Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from('<title>wide</title>', 'utf16le')])
  t.equal(titleOf(utf16, 'text/html'), 'wide')
})

t.test('one text policy for hostile titles: a title that is only invisible characters counts as none', async (t) => {
  const meta = parsePage('<html><head><meta property="og:title" content="\u200B\u2060\uFEFF"><title>Real\u0000 \u202Etitle\u200B</title></head></html>', new URL('https://example.com/'))
  t.equal(meta.title, 'Real title\u200B', 'the blank og:title gives way to <title>; NUL and bidi dropped, zero-width kept inside as in every label')
})
