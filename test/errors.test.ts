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
