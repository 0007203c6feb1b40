/**
 * Definitions are bounded, and so is the cost of matching them: a huge or hostile taxonomy or
 * scorecard is refused with the file's own error code and a position (an alias bomb, a 3,000-level
 * nesting, a 7.8 MB file, 2,000 nodes); the call's word index finds exactly what trying every
 * phrase in every utterance finds, on the labelled calls in English and Chinese.
 */
import { describe, expect, test } from 'vitest'
import { loadLabelledCalls } from '../../samples/topics/labelled.js'
import { parseScorecard } from '../../scorecards/load.js'
import { CallText } from '../../text/call-text.js'
import { findPhrase, tokensWithTimes } from '../../text/match.js'
import { allNodes, builtinTaxonomy, parseTaxonomy } from '../../topics/taxonomy.js'

function refusal(parse: () => unknown): { name: string; code: unknown; message: string } {
  try {
    parse()
  } catch (e) {
    return { name: (e as Error).name, code: (e as { code?: unknown }).code, message: (e as Error).message }
  }
  throw new Error('accepted')
}

describe('hostile definitions are refused as the file’s own error, with a position', () => {
  test('an alias bomb', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    const r = refusal(() => parseTaxonomy(`${levels.join('\n')}\nkey: x\n`, 'bomb.yaml'))
    expect(r.code).toBe('QA_ERR_TAXONOMY')
    expect(r.message).toMatch(/^bomb\.yaml:2:\d+: aliases here expand too far/)
  })

  test('3,000 levels of nesting, in brackets and in indentation', () => {
    const flow = refusal(() => parseTaxonomy(`key: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 'deep.yaml'))
    expect(flow.code).toBe('QA_ERR_TAXONOMY')
    expect(flow.message).toMatch(/^deep\.yaml:1:\d+: nested more than 32 levels deep/)
    expect(flow.message).not.toMatch(/stack/i)
    const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i % 300)}k${i}:`).join('\n')
    const card = refusal(() => parseScorecard(block.slice(0, 900_000), 'deep-card.yaml'))
    expect(card.code).toBe('QA_ERR_SCORECARD')
    expect(card.message).toMatch(/^deep-card\.yaml:\d+:\d+: nested more than 32 levels deep/)
  })

  test('a 7.8 MB taxonomy of 2,000 nodes × 25 phrases, and one of 2,000 small nodes', () => {
    const node = (i: number, phrases: number, width: number) =>
      `  - key: n${i}\n    label: Node ${i}\n    phrases: [${Array.from({ length: phrases }, (_, j) => `"${'phrase '.repeat(width)}${i} ${j}"`).join(', ')}]`
    const huge = `key: huge\nname: Huge\ncategories:\n${Array.from({ length: 2000 }, (_, i) => node(i, 25, 20)).join('\n')}\n`
    expect(huge.length).toBeGreaterThan(7_000_000)
    const big = refusal(() => parseTaxonomy(huge, 'huge.yaml'))
    expect(big.code).toBe('QA_ERR_TAXONOMY')
    expect(big.message).toMatch(/^huge\.yaml:1:1: the file is \d+\.\d MB; a definition may be at most 1 MB/)
    const many = `key: many\nname: Many\ncategories:\n${Array.from({ length: 2000 }, (_, i) => node(i, 1, 1)).join('\n')}\n`
    const wide = refusal(() => parseTaxonomy(many, 'many.yaml'))
    expect(wide.message).toMatch(
      /^many\.yaml:\d+:\d+: categories: 2000 nodes; a taxonomy may have at most 1000/,
    )
  })
})

describe('the word index finds what trying every phrase everywhere finds', () => {
  test('every node of the built-in taxonomy on every labelled call, at two strictness levels', () => {
    const nodes = allNodes(builtinTaxonomy()).map(({ node }) => node.phrases ?? node.groups?.flat() ?? [])
    let compared = 0
    for (const { call } of loadLabelledCalls()) {
      const text = new CallText(call)
      for (const phrases of nodes) {
        for (const strictness of [0.8, 1]) {
          const indexed = text.find(phrases, { strictness }).map((s) => [s.utterance, s.phrase, s.text])
          const everywhere: Array<[number, string, string]> = []
          call.utterances.forEach((u, i) => {
            const tokens = tokensWithTimes(u)
            let best: ReturnType<typeof findPhrase>
            for (const p of phrases) {
              const m = findPhrase(p, tokens, strictness)
              if (m && (!best || m.similarity > best.similarity)) best = m
            }
            if (best) everywhere.push([i, best.phrase, best.text])
          })
          expect(indexed).toEqual(everywhere)
          compared += everywhere.length
        }
      }
    }
    // The comparison saw real matches, not only empty lists.
    expect(compared).toBeGreaterThan(100)
  })
})
