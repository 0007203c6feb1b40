/**
 * Sentiment on hand-written call sentences, English and Chinese: negation, intensifiers, contrast
 * clauses, service vocabulary and plain factual lines that must stay neutral. The corpus figures
 * (amazon.json vs VADER and AFINN) are in bench/sentiment.ts.
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { segmentChinese } from '../../models/sentiment/chinese.js'
import { detectLanguage, scoreSentiment } from '../../models/sentiment/index.js'
import { tempDir } from '../helpers/audio.js'

const score = (text: string) => scoreSentiment(text).score
const label = (text: string) => scoreSentiment(text).label

describe('English', () => {
  test.each([
    ['Thank you so much, you have been very helpful.', 'positive'],
    ['That was fast, thanks.', 'positive'],
    ['No problem at all.', 'positive'],
    ['This is ridiculous, I want to cancel my account.', 'negative'],
    ['I want a refund.', 'negative'],
    ['Let me speak to a supervisor.', 'negative'],
    ['I have been on hold for forty minutes.', 'negative'],
    ['It still does not work.', 'negative'],
    ['My order number is 4 5 6 7.', 'neutral'],
    ['Can you check my balance please?', 'neutral'],
    ["I'd like to update my address.", 'neutral'],
    ['Sure, one moment while I look that up.', 'neutral'],
    ['Yes, that is correct.', 'neutral'],
  ])('%s → %s', (text, expected) => {
    expect(label(text)).toBe(expected)
  })

  test('negation flips and softens: "not good" is negative, "not bad" positive, both milder than the plain word', () => {
    expect(score('The service was not good.')).toBeLessThan(-0.05)
    expect(score('The service was not bad.')).toBeGreaterThan(0.05)
    expect(score("The agent wasn't helpful at all.")).toBeLessThan(-0.05)
    expect(score('I never got a refund and nobody called back.')).toBeLessThan(-0.05)
  })

  test('intensifiers and emphasis make the same sentence stronger', () => {
    expect(score('I am very very angry!!!')).toBeLessThan(score('I am angry.'))
    expect(score('That is extremely helpful.')).toBeGreaterThan(score('That is slightly helpful.'))
  })

  test('after "but" the second clause decides', () => {
    expect(label('The product is great but the delivery was terribly slow.')).toBe('negative')
    expect(label('The delivery was slow but the agent was wonderful.')).toBe('positive')
  })

  test('scores stay within [-1, 1]', () => {
    for (const t of [
      '!!!!!!!! AWFUL AWFUL AWFUL terrible horrible worst',
      'best best best amazing wonderful!!!',
    ])
      expect(Math.abs(score(t))).toBeLessThanOrEqual(1)
  })
})

describe('Chinese (matched on characters, no spaces)', () => {
  test.each([
    ['谢谢你，你帮了我很大的忙。', 'positive'],
    ['服务不错。', 'positive'],
    ['非常满意', 'positive'],
    ['没问题', 'positive'],
    ['太慢了，我要投诉！', 'negative'],
    ['我要退款。', 'negative'],
    ['服务不好。', 'negative'],
    ['不太满意', 'negative'],
    ['问题还是没有解决', 'negative'],
    ['你们这是骗人', 'negative'],
    ['我的订单号是12345。', 'neutral'],
    ['好的，请稍等。', 'neutral'],
  ])('%s → %s', (text, expected) => {
    expect(label(text)).toBe(expected)
  })

  test('"不错" is one word (good), not "not" + "wrong"; "好慢" reads 好 as "so"', () => {
    expect(segmentChinese('不错').map((p) => p.text)).toEqual(['不错'])
    expect(score('好慢啊')).toBeLessThan(-0.05)
  })

  test('negation, intensity and contrast', () => {
    expect(score('满意')).toBeGreaterThan(0)
    expect(score('不满意')).toBeLessThan(0)
    expect(score('非常满意')).toBeGreaterThan(score('满意'))
    expect(label('产品很好，但是客服态度太差了。')).toBe('negative')
    expect(label('客服态度很差，但是问题解决了。')).toBe('positive')
  })
})

test('language is detected per text, including mixed lines', () => {
  expect(detectLanguage('I want to cancel')).toBe('en')
  expect(detectLanguage('我要取消')).toBe('zh')
  expect(detectLanguage('我的 iPhone 坏了')).toBe('zh')
  expect(detectLanguage('My order 订单 number is 42 and I want it today')).toBe('en')
  expect(scoreSentiment('我要投诉').language).toBe('zh')
})

test('`callqa sentiment` reads a file or stdin and prints one JSON object per line', async () => {
  const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'callqa.js')
  const tmp = tempDir()
  try {
    const file = path.join(tmp.dir, 'phrases.txt')
    writeFileSync(
      file,
      'Thank you, that was really helpful!\n\n太慢了，我要投诉！\r\nMy account number is on the letter.\n',
    )
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'sentiment', file])
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      {
        text: 'Thank you, that was really helpful!',
        language: 'en',
        score: expect.any(Number),
        label: 'positive',
        terms: expect.arrayContaining([expect.objectContaining({ text: 'helpful', intensifier: 'really' })]),
      },
      {
        text: '太慢了，我要投诉！',
        language: 'zh',
        score: expect.any(Number),
        label: 'negative',
        terms: expect.arrayContaining([expect.objectContaining({ text: '投诉', source: 'lexicon' })]),
      },
      { text: 'My account number is on the letter.', language: 'en', score: 0, label: 'neutral', terms: [] },
    ])
    // Why: each line's terms add up to its score.
    for (const l of lines)
      expect(l.terms.reduce((s: number, t: { weight: number }) => s + t.weight, 0)).toBeCloseTo(l.score, 6)
    const child = execFile(process.execPath, [bin, 'sentiment', '--language', 'zh'])
    child.stdin?.end('服务很专业\n')
    const out = await new Promise<string>((resolve) => {
      let text = ''
      child.stdout?.on('data', (d) => {
        text += d
      })
      child.on('close', () => resolve(text))
    })
    expect(JSON.parse(out)).toMatchObject({ language: 'zh', label: 'positive' })
    const missing = await promisify(execFile)(process.execPath, [
      bin,
      'sentiment',
      path.join(tmp.dir, 'nope.txt'),
    ]).catch((e: { code: number; stderr: string }) => e)
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read .*nope\.txt/) })
  } finally {
    tmp.remove()
  }
})
