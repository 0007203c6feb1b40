import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { CallqaError, coerceError, errorClasses, errorCode } from '../errors.js'

describe('error registry', () => {
  const entries = Object.entries(errorClasses).map(([name, Cls]) => ({ name, error: new Cls('x') }))

  test('every error has a unique QA_ERR_ code', () => {
    const codes = entries.map((e) => e.error.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const { error } of entries) expect(error.code).toMatch(/^QA_ERR_[A-Z_]+$/)
  })

  test('every error is a CallqaError and keeps its cause', () => {
    for (const [, Cls] of Object.entries(errorClasses)) {
      const cause = new Error('root')
      const err = new Cls('wrapped', { cause })
      expect(err).toBeInstanceOf(CallqaError)
      expect(err.cause).toBe(cause)
    }
  })

  test('errorCode reads codes from cloned errors, and only ours', () => {
    expect(errorCode(structuredClone({ code: 'QA_ERR_AUDIO_DECODE', message: 'x' }))).toBe(
      'QA_ERR_AUDIO_DECODE',
    )
    expect(errorCode(Object.assign(new Error('pg'), { code: '23505' }))).toBe('QA_ERR_INTERNAL')
    expect(errorCode('boom')).toBe('QA_ERR_INTERNAL')
    expect(coerceError('boom').message).toBe('boom')
  })
})

test("every error code the code can produce is in the README's error table", () => {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
  const table = new Set([...readme.matchAll(/^\| `(QA_ERR_[A-Z_]+)/gm)].map((m) => m[1]))
  const used = new Set<string>()
  for (const dir of [
    'analysis',
    'api',
    'cli',
    'db',
    'media',
    'pipeline',
    'review',
    'scorecards',
    'workers',
    'models',
  ]) {
    for (const file of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue
      const text = readFileSync(path.join(root, dir, file), 'utf8')
      for (const m of text.matchAll(/'(QA_ERR_[A-Z_]+)'/g)) used.add(m[1] as string)
    }
  }
  for (const { code } of Object.values(errorClasses).map((Cls) => new Cls('x'))) used.add(code)
  used.add('QA_ERR_INTERNAL')
  const missing = [...used].filter((code) => !table.has(code)).sort()
  expect(missing).toEqual([])
  expect(table.has('QA_ERR_HTTP_')).toBe(true)
})

test('every coded error has its HTTP status in the one table the API uses', async () => {
  const { HTTP_STATUS } = await import('../api/status.js')
  for (const [name, Cls] of Object.entries(errorClasses)) {
    if (name === 'CallqaError') continue
    const { code } = new Cls('x')
    expect(HTTP_STATUS[code as keyof typeof HTTP_STATUS], code).toBeGreaterThanOrEqual(400)
  }
})
