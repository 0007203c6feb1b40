/**
 * Chinese sentiment: a lexicon scorer that works on characters, not spaces. The text is matched
 * against the lexicon, negators, intensifiers and contrast words by forward maximum matching, so
 * "不错" (good) is one word and never "不" + "错" (not + wrong). Negation flips a sentiment word a
 * few characters ahead; intensifiers scale it; after 但是/可是/不过 the second clause dominates.
 *
 * Values are on the AFINN scale (-5…5) so both languages squash the same way. There is no public
 * labelled Chinese corpus on these machines to learn from; the lexicon is written by hand for
 * service calls and tested on hand-written cases (test/sentiment.test.ts).
 */

import type { Contribution } from './english.js'

export const CHINESE_LEXICON: Readonly<Record<string, number>> = {
  // complaints, escalation, churn
  投诉: -3,
  举报: -3,
  退款: -2,
  退钱: -2.5,
  退货: -1.5,
  取消: -1.5,
  销户: -2,
  注销: -1.5,
  主管: -1.5,
  经理: -1,
  领导: -1,
  上级: -1.5,
  律师: -2.5,
  起诉: -3,
  曝光: -2.5,
  骗子: -4,
  骗人: -4,
  欺骗: -3.5,
  坑人: -3.5,
  乱扣费: -3.5,
  扣费: -1.5,
  多扣: -2.5,
  乱收费: -3.5,
  // problems, waiting
  问题: -1,
  故障: -2,
  坏了: -2.5,
  坏: -2,
  错误: -2,
  错: -1.5,
  慢: -1.5,
  太慢: -2.5,
  等了: -1,
  一直: -0.5,
  还是: -0.5,
  又: -0.5,
  半天: -1.5,
  好久: -1.5,
  没用: -2.5,
  不行: -2,
  差: -2.5,
  很差: -3,
  差劲: -3,
  垃圾: -3.5,
  离谱: -3,
  荒唐: -3,
  无语: -2.5,
  过分: -3,
  // feelings
  生气: -3,
  气死: -3.5,
  愤怒: -3.5,
  失望: -2.5,
  不满: -2.5,
  不满意: -2.5,
  烦: -2,
  麻烦: -1.5,
  着急: -1.5,
  担心: -1.5,
  抱歉: -0.5,
  对不起: -0.5,
  不好意思: -0.5,
  遗憾: -1.5,
  难受: -2,
  糟糕: -3,
  崩溃: -3,
  // good outcomes and courtesy
  好: 1.5,
  很好: 2.5,
  不错: 2,
  满意: 2.5,
  非常满意: 3.5,
  谢谢: 2,
  感谢: 2.5,
  多谢: 2,
  辛苦了: 2,
  太好了: 3,
  好的: 0,
  可以: 0,
  没问题: 1,
  解决: 2,
  解决了: 2.5,
  帮忙: 1.5,
  帮助: 1.5,
  耐心: 2,
  专业: 2,
  及时: 1.5,
  快: 1.5,
  方便: 1.5,
  清楚: 1,
  明白: 0.5,
  棒: 3,
  优秀: 3,
  喜欢: 2,
  开心: 2.5,
  高兴: 2.5,
  放心: 2,
  周到: 2.5,
  热情: 2.5,
  // things that look negative but are not
  没关系: 1,
  不客气: 1,
  不用谢: 1,
  没事: 0.5,
  不用: 0,
  问一下: 0,
  请问: 0,
}

const NEGATORS = ['没有', '不是', '并不', '不', '没', '别', '未', '无', '非']
const INTENSIFIERS: Readonly<Record<string, number>> = {
  非常: 1.5,
  特别: 1.5,
  十分: 1.5,
  极其: 1.6,
  极: 1.5,
  太: 1.4,
  很: 1.3,
  真: 1.3,
  真的: 1.3,
  好: 1.2,
  超: 1.4,
  挺: 1.1,
  比较: 0.8,
  有点: 0.6,
  有些: 0.7,
  稍微: 0.6,
  一点: 0.6,
}
const CONTRASTS = ['但是', '可是', '不过', '然而', '但', '只是', '却']
const CLAUSE_END = /[。！？!?；;\n]/
const NEGATION_SCOPE = 3

type Kind = 'word' | 'negator' | 'intensifier' | 'contrast' | 'end'
interface Piece {
  kind: Kind
  text: string
  value: number
}

const ENTRIES: Array<[string, Kind, number]> = [
  ...Object.entries(CHINESE_LEXICON).map(([w, v]): [string, Kind, number] => [w, 'word', v]),
  ...NEGATORS.map((w): [string, Kind, number] => [w, 'negator', 0]),
  ...Object.entries(INTENSIFIERS).map(([w, v]): [string, Kind, number] => [w, 'intensifier', v]),
  ...CONTRASTS.map((w): [string, Kind, number] => [w, 'contrast', 0]),
]
const BY_TEXT = new Map<string, [Kind, number]>()
// Lexicon words win over negators/intensifiers of the same spelling ("好" the word vs "好" = very).
for (const [w, kind, v] of [...ENTRIES].reverse()) BY_TEXT.set(w, [kind, v])
const LONGEST = Math.max(...ENTRIES.map(([w]) => w.length))

/** Forward maximum matching; characters that match nothing are skipped (they count for distance). */
export function segmentChinese(text: string): Array<Piece & { at: number }> {
  const out: Array<Piece & { at: number }> = []
  let i = 0
  while (i < text.length) {
    const ch = text[i] ?? ''
    if (CLAUSE_END.test(ch) || ch === '，' || ch === ',') {
      out.push({ kind: 'end', text: ch, value: 0, at: i })
      i++
      continue
    }
    let matched = false
    for (let len = Math.min(LONGEST, text.length - i); len >= 1; len--) {
      const candidate = text.slice(i, i + len)
      const entry = BY_TEXT.get(candidate)
      if (entry) {
        out.push({ kind: entry[0], text: candidate, value: entry[1], at: i })
        i += len
        matched = true
        break
      }
    }
    if (!matched) i++
  }
  return out
}

export function scoreChineseSum(text: string): { sum: number; hits: number; parts: Contribution[] } {
  const pieces = segmentChinese(text)
  // "好" is a word ("good") but also means "so" right before another word: 好慢 = so slow.
  for (let k = 0; k + 1 < pieces.length; k++) {
    const p = pieces[k]
    const next = pieces[k + 1]
    const factor = p ? INTENSIFIERS[p.text] : undefined
    if (
      p &&
      next &&
      factor &&
      p.kind === 'word' &&
      next.kind === 'word' &&
      next.at === p.at + p.text.length
    ) {
      pieces[k] = { ...p, kind: 'intensifier', value: factor }
    }
  }
  const contrastAt = pieces.map((p) => p.kind === 'contrast')
  const lastContrast = contrastAt.lastIndexOf(true)
  let sum = 0
  let hits = 0
  const parts: Contribution[] = []
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k]
    if (p?.kind !== 'word') continue
    const part: Contribution = { text: p.text, source: 'lexicon', lexicon: p.value, z: 0 }
    let value = p.value
    // Look back within the clause: an intensifier right before, a negator within a few characters.
    let negated = false
    let intensity = 1
    for (let j = k - 1; j >= 0; j--) {
      const q = pieces[j]
      if (!q || q.kind === 'end' || q.kind === 'contrast' || q.kind === 'word') break
      if (p.at - (q.at + q.text.length) > NEGATION_SCOPE) break
      if (q.kind === 'negator') negated = !negated
      if (q.kind === 'intensifier') {
        intensity *= q.value
        part.intensifier ??= q.text
      }
    }
    value *= intensity
    if (negated) {
      value *= -0.74
      part.negated = true
    }
    if (lastContrast >= 0) {
      // Same sentence as the contrast word: before it × 0.5, after it × 1.5.
      const sentenceBreak = pieces
        .slice(Math.min(k, lastContrast), Math.max(k, lastContrast))
        .some((q) => q.kind === 'end' && CLAUSE_END.test(q.text))
      if (!sentenceBreak) {
        value *= k < lastContrast ? 0.5 : 1.5
        part.contrast = k < lastContrast ? 'before' : 'after'
      }
    }
    sum += value
    hits++
    if (value !== 0) parts.push({ ...part, z: value })
  }
  const bangs = Math.min(3, (text.match(/[!！]/g) ?? []).length)
  if (sum !== 0 && bangs > 0) {
    const emphasis = Math.sign(sum) * bangs * 0.292
    sum += emphasis
    parts.push({ text: '!', source: 'emphasis', z: emphasis })
  }
  return { sum, hits, parts }
}
