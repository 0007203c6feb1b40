/**
 * `callqa sentiment [FILE]`: one utterance per line (FILE or stdin) → one JSON object per line,
 * so a QA admin can try the model on their own phrases. Blank lines are skipped.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { ConfigError } from '../errors.js'
import { type SentimentLanguage, scoreSentiment } from '../models/sentiment/index.js'

export async function runSentiment(file: string | undefined, language: string | undefined): Promise<number> {
  if (language !== undefined && language !== 'en' && language !== 'zh')
    throw new ConfigError('--language must be en or zh (default: detected per line)')
  const input = file ? createReadStream(file, { encoding: 'utf8' }) : process.stdin
  const opened = new Promise<void>((resolve, reject) => {
    if (!file) return resolve()
    input.once('open', () => resolve())
    input.once('error', (err: Error) => reject(new ConfigError(`cannot read ${file}: ${err.message}`)))
  })
  await opened
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    const text = line.trim()
    if (!text) continue
    const result = scoreSentiment(text, language as SentimentLanguage | undefined)
    process.stdout.write(`${JSON.stringify({ text, ...result })}\n`)
  }
  return 0
}
