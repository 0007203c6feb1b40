import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import {
  emptyMetadata,
  fileNameDate,
  loadMetadata,
  parseCsv,
  withFileNames,
} from '../../pipeline/metadata.js'
import { tempDir } from '../helpers/audio.js'

const tmp = tempDir()
afterAll(() => tmp.remove())
const write = (name: string, text: string) => {
  const file = path.join(tmp.dir, name)
  writeFileSync(file, text)
  return file
}

describe('parseCsv', () => {
  test('quoted fields with commas, doubled quotes, newlines and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",z\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'z'] },
    ])
  })
  test('an unterminated quote names its line', () => {
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(/line 2/)
  })
})

describe('loadMetadata', () => {
  test('CSV matched by file name, or by external id equal to the file stem', () => {
    const file = write(
      'meta.csv',
      'file,external_id,started_at,agent,team,queue,direction,csat,disposition,language\n' +
        'a.wav,EXT-1,2026-11-02T09:15:00Z,a.sam,blue,billing,inbound,4,resolved,en\n' +
        ',REC-77,2026-11-03T10:00:00+01:00,a.lee,red,sales,outbound,,sale,zh\n',
    )
    const meta = loadMetadata(file)
    expect(meta.lookup('/x/y/a.wav')).toEqual({
      externalId: 'EXT-1',
      startedAt: '2026-11-02T09:15:00.000Z',
      agentId: 'a.sam',
      team: 'blue',
      queue: 'billing',
      direction: 'inbound',
      csat: 4,
      disposition: 'resolved',
      language: 'en',
    })
    expect(meta.lookup('/recordings/REC-77.mp3')).toMatchObject({
      externalId: 'REC-77',
      startedAt: '2026-11-03T09:00:00.000Z',
      direction: 'outbound',
      language: 'zh',
    })
    expect(meta.lookup('unknown.wav')).toEqual({})
  })

  test('transcript paths resolve against the metadata file; swap_speakers is a flag', () => {
    const index = loadMetadata(
      write('x.csv', 'file,transcript,swap_speakers\na.wav,sub/a.vtt,yes\nb.wav,,0\n'),
    )
    expect(index.lookup('/anywhere/a.wav')).toEqual({
      transcript: path.join(tmp.dir, 'sub', 'a.vtt'),
      swapSpeakers: true,
    })
    expect(index.lookup('b.wav')).toEqual({ swapSpeakers: false })
  })

  test('JSON as an array or keyed by file name', () => {
    const arr = loadMetadata(write('a.json', JSON.stringify([{ file: 'x.wav', agent: 'a.kim', csat: 2 }])))
    expect(arr.lookup('x.wav')).toEqual({ agentId: 'a.kim', csat: 2 })
    const keyed = loadMetadata(
      write('b.json', JSON.stringify({ 'y.wav': { queue: 'q1', direction: 'inbound' } })),
    )
    expect(keyed.lookup('dir/y.wav')).toEqual({ queue: 'q1', direction: 'inbound' })
  })

  test('bad values are rejected with the file, line and field named', () => {
    const header = 'file,direction,csat,started_at\n'
    expect(() => loadMetadata(write('d.csv', `${header}a.wav,sideways,3,2026-01-01\n`))).toThrow(
      /d\.csv line 2: direction must be inbound or outbound/,
    )
    expect(() => loadMetadata(write('c.csv', `${header}a.wav,inbound,9,2026-01-01\n`))).toThrow(
      /line 2: csat must be an integer from 1 to 5/,
    )
    expect(() => loadMetadata(write('t.csv', `${header}a.wav,inbound,3,yesterday\n`))).toThrow(/started_at/)
    expect(() => loadMetadata(write('n.csv', `${header}a.wav,inbound\n`))).toThrow(
      /line 2: 2 fields, the header has 4/,
    )
    expect(() => loadMetadata(write('h.csv', 'agent,team\na,b\n'))).toThrow(/"file" or "external_id"/)
    expect(() => loadMetadata(write('s.csv', 'file,swap_speakers\na.wav,maybe\n'))).toThrow(
      's.csv line 2: swap_speakers must be true or false, got "maybe"',
    )
    expect(() => loadMetadata(write('j.json', '{"a.wav": '))).toThrow(/not valid JSON/)
    expect(() => loadMetadata(path.join(tmp.dir, 'missing.csv'))).toThrow(/cannot read metadata file/)
    try {
      loadMetadata(write('e.csv', `${header}a.wav,x,1,2026-01-01\n`))
    } catch (err) {
      expect(err).toMatchObject({ code: 'QA_ERR_METADATA' })
    }
  })
})

describe('metadata from file names', () => {
  const pca = 'Auto0_GUID_000_AGENT_ChrisL_DT_2025-02-19T06-01-22_Mono.wav'
  test('the pca preset reads agent, date and id from a recorder-named file', () => {
    expect(withFileNames(emptyMetadata, 'pca').lookup(`/calls/${pca}`)).toEqual({
      externalId: 'Auto0_GUID_000',
      agentId: 'ChrisL',
      startedAt: '2025-02-19T06:01:22.000Z',
    })
  })
  test('a custom pattern, checked like a metadata file; a row for the file wins; no match gives nothing', () => {
    const rows = loadMetadata(write('rows.csv', 'file,agent\nrow.wav,Mei\n'))
    const index = withFileNames(rows, '^(?<queue>[a-z]+)-(?<direction>\\w+)-(?<started_at>\\d{8}-\\d{6})$')
    expect(index.lookup('billing-inbound-20260301-091500.wav')).toEqual({
      queue: 'billing',
      direction: 'inbound',
      startedAt: '2026-03-01T09:15:00.000Z',
    })
    expect(index.lookup('row.wav')).toEqual({ agentId: 'Mei' })
    expect(index.lookup('whatever.wav')).toEqual({})
    expect(() => index.lookup('billing-sideways-20260301-091500.wav')).toThrow(
      /file name billing-sideways.*direction/,
    )
    expect(() => index.lookup('billing-inbound-20260231-091500.wav')).toThrow(
      /started_at "20260231-091500" is not a date/,
    )
  })
  test('a bad pattern or an unknown group is a clear error', () => {
    expect(() => withFileNames(emptyMetadata, '(?<agent>[')).toThrow(/not a valid regular expression/)
    expect(() => withFileNames(emptyMetadata, '(?<customer_name>.+)')).toThrow(
      /unknown groups: customer_name/,
    )
  })
  test('file-name dates in the forms recorders use', () => {
    expect(fileNameDate('2025-02-19T06-01-22')).toBe('2025-02-19T06:01:22.000Z')
    expect(fileNameDate('20250219_060122')).toBe('2025-02-19T06:01:22.000Z')
    expect(fileNameDate('2025-02-19')).toBe('2025-02-19T00:00:00.000Z')
    expect(fileNameDate('2025-02-30')).toBeUndefined()
    expect(fileNameDate('2025-02-19T25-00-00')).toBeUndefined()
  })
})
