/**
 * Chat-like message text for the benchmarks, seeded so that two runs (or two builds) send the
 * same sequence: words drawn from a Zipf-distributed vocabulary (English and Chinese), about
 * 35 % of messages in Chinese and some mixed, numbers, people's names and URLs, lengths from
 * a couple of words to a paragraph. The fixed sentence the harness used to send (every message
 * the same, so the search indexes never saw a new word) stays available as the labelled control,
 * `--content fixed`.
 */

export const FIXED_CONTENT = 'bench message: the quick brown fox jumps over the lazy dog 0123456789'

export type ContentKind = 'realistic' | 'fixed'

/** mulberry32: small, fast, good enough for load shapes; not for anything secret. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const COMMON_EN = ('the to i you a and it is of that in we for on be have this can do not are ' +
  'my with just so but me at what was if get will know all about your can\'t think they like ' +
  'how when up out there one time good going now see yes no ok okay thanks sure let call ' +
  'today tomorrow meeting later back need want here work send check done please right well ' +
  'go been also some would could did from then them more new lol haha sorry morning night ' +
  'team project deadline release build deploy review bug fix test issue server client update ' +
  'looks great sounds agreed lunch coffee weekend tonight week office home remote doc slides ' +
  'customer order payment invoice account price shipping delivery address phone email').split(' ')

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tor', 'sel', 'van', 'qu', 'dro', 'pel', 'shi', 'ar',
  'ton', 'ble', 'gri', 'nox', 'fa', 'ul', 'pen', 'cor', 'dis', 'ex', 'ment', 'ing', 'ly', 'er']

// About 500 of the most common Chinese characters; words are one to three of them.
const HANZI = ('的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生' +
  '自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分' +
  '此心前面又定见只主没公从知全问电外开情新想意但回现很该己本手把明加正两应点关东西最直通长实话信外' +
  '今吃饭开会项目发布测试修复上线客户订单付款地址明天下午晚上周末谢谢收到好的没问题辛苦了麻烦看一下' +
  '群里文件图片消息版本服务器手机电脑网络数据安全功能需求设计产品运营市场销售财务报告计划进度结果').split('')

const COMMON_ZH = ('的 了 是 我 你 他 我们 这个 那个 在 有 不 就 也 都 还 吗 呢 吧 啊 好的 没问题 ' +
  '收到 谢谢 明天 今天 下午 晚上 开会 项目 发布 测试 上线 客户 订单 看一下 麻烦 辛苦了 可以 知道 ' +
  '现在 已经 一下 什么 怎么 为什么 因为 所以 但是 然后 如果 文件 图片 消息 版本 服务器 需求').split(' ')

const NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy',
  'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Yuki',
  '王伟', '李娜', '张敏', '刘洋', '陈静', '杨磊', '赵丽', '黄勇', '周杰', '吴霞']

const HOSTS = ['github.com', 'docs.example.com', 'www.youtube.com', 'zhuanlan.zhihu.com', 'mp.weixin.qq.com',
  'news.ycombinator.com', 'en.wikipedia.org', 'www.bilibili.com', 'drive.example.cn', 'jira.example.org']

/** A Zipf(s) sampler over ranks 0..n-1 (rank 0 the most frequent). */
function zipf (n: number, s: number, rnd: () => number): () => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let r = 0; r < n; r++) { sum += 1 / Math.pow(r + 1, s); cdf[r] = sum }
  return () => {
    const x = rnd() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/**
 * A generator of chat messages. The vocabularies are built from `seed` too, so a vocabulary of
 * `englishWords` words (common words first, then made-up ones, as the long tail of names,
 * products and typos a real corpus has) and `chineseWords` Chinese words.
 */
export function chatTextGenerator (seed: number, opts: { englishWords?: number, chineseWords?: number } = {}): () => string {
  const rnd = seededRandom(seed)
  const vocab = seededRandom(0xC0FFEE) // the same vocabulary in every process and run
  const en: string[] = [...COMMON_EN]
  const seen = new Set(en)
  while (en.length < (opts.englishWords ?? 20_000)) {
    let w = ''
    const k = 2 + Math.floor(vocab() * 3)
    for (let i = 0; i < k; i++) w += SYLLABLES[Math.floor(vocab() * SYLLABLES.length)]
    if (!seen.has(w)) { seen.add(w); en.push(w) }
  }
  const zh: string[] = [...COMMON_ZH]
  while (zh.length < (opts.chineseWords ?? 8_000)) {
    const k = 1 + Math.floor(vocab() * vocab() * 3)
    let w = ''
    for (let j = 0; j < k; j++) w += HANZI[Math.floor(vocab() * vocab() * HANZI.length)]
    zh.push(w)
  }
  const enRank = zipf(en.length, 1.07, rnd)
  const zhRank = zipf(zh.length, 1.0, rnd)
  const int = (n: number): number => Math.floor(rnd() * n)

  const extra = (chinese: boolean): string => {
    const x = rnd()
    if (x < 0.25) return NAMES[int(NAMES.length)]!
    if (x < 0.5) return String(int(1000))
    if (x < 0.6) return `${int(24)}:${String(int(60)).padStart(2, '0')}`
    if (x < 0.7) return chinese ? `¥${int(5000)}.${int(100)}` : `$${int(5000)}.${int(100)}`
    if (x < 0.8) return `#${10_000 + int(90_000)}`
    return `https://${HOSTS[int(HOSTS.length)]!}/${en[enRank()]!}/${int(1_000_000).toString(36)}`
  }

  return () => {
    // Lengths: most messages are short, some a few sentences (a long tail up to ~120 words).
    const r = rnd()
    const words = r < 0.55 ? 2 + int(7) : r < 0.9 ? 8 + int(16) : r < 0.98 ? 24 + int(40) : 64 + int(60)
    const chinese = rnd() < 0.35
    const mixed = !chinese && rnd() < 0.08
    const parts: string[] = []
    for (let i = 0; i < words; i++) {
      if (rnd() < 0.06) { parts.push(extra(chinese)); continue }
      if (chinese || (mixed && rnd() < 0.3)) parts.push(zh[zhRank()]!)
      else parts.push(en[enRank()]!)
    }
    if (chinese) {
      // Chinese runs its words together, with a comma or full stop now and then.
      let s = ''
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!
        const ascii = /^[\x20-\x7e]+$/.test(p)
        s += ascii ? ` ${p} ` : p
        if (i < parts.length - 1 && rnd() < 0.12) s += rnd() < 0.6 ? '，' : '。'
      }
      return s.trim().replace(/ {2,}/g, ' ') + (rnd() < 0.3 ? (rnd() < 0.5 ? '？' : '！') : '')
    }
    let s = parts.join(' ')
    s = s.charAt(0).toUpperCase() + s.slice(1)
    return s + (rnd() < 0.5 ? '' : rnd() < 0.5 ? '?' : '.')
  }
}
