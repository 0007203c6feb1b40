/**
 * Personal data in transcript text, found before anything is stored: payment card numbers
 * (Luhn-checked, written or spoken digit by digit), US SSNs, Chinese resident ID numbers (with
 * their check digit), phone numbers, e-mail addresses (also spoken: "jane at example dot com"),
 * IBANs (mod-97 checked) and bank account numbers named as such. English and Chinese.
 *
 * Precision matters as much as recall: times, amounts, dates and order or reference numbers are
 * not personal data and must stay readable for QA, so digit runs need a checksum, a format, or
 * words around them that say what they are.
 */

export type PiiKind = 'card' | 'ssn' | 'cn_id' | 'phone' | 'email' | 'iban' | 'bank_account'

/** A span of the original text, in UTF-16 code units [start, end). */
export interface PiiSpan {
  kind: PiiKind
  start: number
  end: number
}

const DIGIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
}
const CN_DIGITS: Record<string, string> = {
  零: '0',
  〇: '0',
  一: '1',
  幺: '1',
  二: '2',
  两: '2',
  三: '3',
  四: '4',
  五: '5',
  六: '6',
  七: '7',
  八: '8',
  九: '9',
}
const MULTIPLIERS: Record<string, number> = { double: 2, triple: 3 }

/** A run of digits as said or written, with where it sits in the text. */
interface DigitRun {
  digits: string
  start: number
  end: number
}

/**
 * Digit runs: written digits, English digit words ("four one one one", "double five") and Chinese
 * digit characters, joined across spaces, hyphens and dots.
 */
function digitRuns(text: string): DigitRun[] {
  const runs: DigitRun[] = []
  const token = /[0-9]+|[A-Za-z]+|[零〇一幺二两三四五六七八九]|[^\s]/g
  let current: DigitRun | undefined
  let pendingMultiplier = 1
  let lastEnd = 0
  const close = () => {
    if (current) runs.push(current)
    current = undefined
    pendingMultiplier = 1
  }
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const word = m[0]
    // Hyphens, dots and commas separate the groups of a number ("4111-1111", "one two, three").
    if (current && /^[-.,]$/.test(word)) continue
    const lower = word.toLowerCase()
    const gap = text.slice(lastEnd, m.index)
    // Only spaces and single separators may sit inside a run.
    if (current && !/^[\s\-.,]*$/.test(gap)) close()
    let digits: string | undefined
    if (/^[0-9]+$/.test(word)) digits = word
    else if (DIGIT_WORDS[lower] !== undefined) digits = DIGIT_WORDS[lower]
    else if (CN_DIGITS[word] !== undefined) digits = CN_DIGITS[word]
    else if (MULTIPLIERS[lower] !== undefined) {
      if (!current) current = { digits: '', start: m.index, end: m.index + word.length }
      pendingMultiplier = MULTIPLIERS[lower] as number
      lastEnd = m.index + word.length
      continue
    }
    if (digits === undefined) {
      close()
    } else {
      if (!current) current = { digits: '', start: m.index, end: m.index }
      current.digits += digits.repeat(digits.length === 1 ? pendingMultiplier : 1)
      current.end = m.index + word.length
      pendingMultiplier = 1
    }
    lastEnd = m.index + word.length
  }
  close()
  return runs.filter((r) => r.digits.length > 0)
}

export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** GB 11643-1999 check digit (ISO 7064 MOD 11-2) and a plausible birth date. */
export function cnIdValid(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = weights.reduce((s, w, i) => s + w * Number(id[i]), 0)
  if ('10X98765432'[sum % 11] !== id[17]) return false
  const year = Number(id.slice(6, 10))
  const month = Number(id.slice(10, 12))
  const day = Number(id.slice(12, 14))
  return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const ch of rearranged) {
    const value = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch
    for (const d of value) remainder = (remainder * 10 + Number(d)) % 97
  }
  return remainder === 1
}

function ssnValid(digits: string): boolean {
  const area = Number(digits.slice(0, 3))
  return area !== 0 && area !== 666 && area < 900 && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000'
}

/** Words just before a number that say it is not personal data. */
const NOT_PII_BEFORE =
  /(order|reference|ref|ticket|invoice|case|tracking|confirmation|booking|policy|model|serial|订单|单号|工单|快递)[^.!?。！？]{0,20}$/i
const PHONE_BEFORE =
  /(phone|mobile|cell|number|call (?:me|you|back)|reach|电话|手机|号码|联系)[^.!?。！？]{0,30}$/i
const BANK_BEFORE =
  /(bank account|account number|acct|sort code|routing|账号|账户|银行卡|卡号)[^.!?。！？]{0,20}$/i
const SSN_BEFORE = /(social security|ssn|社保)[^.!?。！？]{0,20}$/i

function runKind(run: DigitRun, before: string): PiiKind | undefined {
  const n = run.digits.length
  if (n >= 13 && n <= 19 && luhnValid(run.digits)) return 'card'
  if (NOT_PII_BEFORE.test(before)) return undefined
  if (n === 9 && SSN_BEFORE.test(before) && ssnValid(run.digits)) return 'ssn'
  if (n >= 6 && n <= 17 && BANK_BEFORE.test(before)) return 'bank_account'
  // Chinese mobile numbers are 11 digits starting 13–19; elsewhere a phone number is 10–15
  // digits, accepted when the words before say it is one.
  if (n === 11 && /^1[3-9]/.test(run.digits)) return 'phone'
  if (n >= 10 && n <= 15 && PHONE_BEFORE.test(before)) return 'phone'
  return undefined
}

const SPOKEN_DOMAIN = '(?:com|org|net|edu|gov|io|co(?:\\s+dot\\s+uk)?|cn|de|fr)'
const PATTERNS: Array<{ kind: PiiKind; re: RegExp; check?: (m: string) => boolean }> = [
  { kind: 'email', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  {
    kind: 'email',
    re: new RegExp(
      `\\b[a-z0-9._-]+(?:\\s+(?:dot|underscore)\\s+[a-z0-9]+)*\\s+at\\s+[a-z0-9-]+(?:\\s+dot\\s+[a-z0-9-]+)*\\s+dot\\s+${SPOKEN_DOMAIN}\\b`,
      'gi',
    ),
  },
  { kind: 'iban', re: /\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b/g, check: ibanValid },
  {
    kind: 'ssn',
    re: /\b\d{3}-\d{2}-\d{4}\b/g,
    check: (m) => ssnValid(m.replace(/-/g, '')),
  },
  { kind: 'cn_id', re: /(?<!\d)\d{17}[\dXx](?![\dA-Za-z])/g, check: (m) => cnIdValid(m.toUpperCase()) },
  // Written phone numbers with their usual punctuation: +44 20 7946 0958, (415) 555-0132, 415-555-0132.
  {
    kind: 'phone',
    re: /(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}(?!\d)/g,
  },
]

/** Every personal-data span in `text`, non-overlapping, in order. */
export function findPii(text: string): PiiSpan[] {
  const found: PiiSpan[] = []
  for (const { kind, re, check } of PATTERNS) {
    re.lastIndex = 0
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (check && !check(m[0])) continue
      found.push({ kind, start: m.index, end: m.index + m[0].length })
    }
  }
  for (const run of digitRuns(text)) {
    const kind = runKind(run, text.slice(Math.max(0, run.start - 60), run.start))
    if (kind) found.push({ kind, start: run.start, end: run.end })
  }
  // Overlaps: keep the longest span (a card number also matches a phone pattern, …).
  found.sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start))
  const out: PiiSpan[] = []
  for (const span of found) {
    const last = out[out.length - 1]
    if (last && span.start < last.end) {
      if (span.end - span.start > last.end - last.start) out[out.length - 1] = span
      continue
    }
    out.push(span)
  }
  return out
}

export const PII_LABELS: Record<PiiKind, string> = {
  card: '[CARD]',
  ssn: '[SSN]',
  cn_id: '[ID]',
  phone: '[PHONE]',
  email: '[EMAIL]',
  iban: '[IBAN]',
  bank_account: '[ACCOUNT]',
}

/** `text` with every span replaced by its label, e.g. "my card is [CARD]". */
export function redactText(text: string, spans: readonly PiiSpan[] = findPii(text)): string {
  let out = ''
  let at = 0
  for (const span of spans) {
    out += text.slice(at, span.start) + PII_LABELS[span.kind]
    at = span.end
  }
  return out + text.slice(at)
}
