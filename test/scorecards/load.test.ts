/** Scorecard files: every problem reported with its line and column; versions by content. */
import { describe, expect, test } from 'vitest'
import { builtinScorecards } from '../../scorecards/builtin.js'
import { definitionHash, parseScorecard } from '../../scorecards/load.js'

const header =
  'key: test-card\nname: Test\nmode: weighted\nsections:\n  - key: opening\n    label: Opening\n    items:\n'

function problems(text: string): string[] {
  try {
    parseScorecard(text, 'card.yaml')
  } catch (err) {
    return (err as Error).message.split('\n')
  }
  return []
}

describe('parseScorecard', () => {
  test('schema errors name the file, line, column and path, all at once', () => {
    const text = `${header}      - key: greet
        label: Greets
        kind: phrase
        speaker: agnt
        window: { first_s: 15, last_s: 3 }
        phrases: [thank you for calling]
        wieght: 3
      - key: hold
        label: Dead air
        kind: metric
        metric: dead_air_longest_ms
        op: "<="
`
    expect(problems(text)).toEqual([
      'card.yaml:11:18: sections[0].items[0].speaker: must be one of "agent", "customer", "any"',
      'card.yaml:12:17: sections[0].items[0].window: a window is exactly one of first_s, last_s, first_pct, last_pct',
      'card.yaml:14:9: sections[0].items[0].wieght: unknown field "wieght"',
      'card.yaml:15:9: sections[0].items[1]: missing "value"',
    ])
  })

  test('rules the schema cannot express: duplicate keys, references to later items, fields per mode', () => {
    const text = `${header}      - key: a
        label: A
        kind: manual
        only_if: { item: b, result: pass }
      - key: a
        label: Again
        kind: manual
        deduction: 2
`
    expect(problems(text)).toEqual([
      'card.yaml:11:26: sections[0].items[0].only_if.item: "b" is not an item before this one',
      'card.yaml:12:14: sections[0].items[1].key: duplicate item key "a"',
      'card.yaml:15:20: sections[0].items[1].deduction: weighted mode: use "weight", not "deduction"',
    ])
    expect(problems(text.replace('mode: weighted', 'mode: deduction'))).toContain(
      'card.yaml:8:9: sections[0].items[0]: deduction mode: the item needs "deduction" (or "fatal: true")',
    )
  })

  test('YAML syntax errors and unknown kinds', () => {
    expect(problems('key: x\nname: [unclosed\n')[0]).toMatch(/^card\.yaml:3:1: /)
    expect(problems(`${header}      - { key: a, label: A, kind: vibes }\n`)).toEqual([
      'card.yaml:8:35: sections[0].items[0].kind: must be one of "phrase", "absent", "metric", "sentiment", "conduct", "manual"',
    ])
  })

  test('JSON works too, and the content hash ignores formatting and key order', () => {
    const json = JSON.stringify({
      key: 'j',
      name: 'J',
      mode: 'weighted',
      sections: [{ key: 's', label: 'S', items: [{ key: 'm', label: 'M', kind: 'manual' }] }],
    })
    const a = parseScorecard(json, 'card.json')
    const b = parseScorecard(
      'sections:\n  - items: [{kind: manual, label: M, key: m}]\n    label: S\n    key: s\nmode: weighted\nname: J\nkey: j\n',
      'card.yaml',
    )
    expect(definitionHash(a)).toBe(definitionHash(b))
    expect(definitionHash({ ...a, name: 'J2' })).not.toBe(definitionHash(a))
  })

  test('the built-in scorecards are valid', () => {
    const cards = builtinScorecards().map((c) => c.definition.key)
    expect(cards).toEqual(['compliance-deduction', 'inbound-support-en', 'inbound-support-zh', 'outbound-en'])
  })
})
