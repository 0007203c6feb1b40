/**
 * Names from outside (file names, metadata) as they may be printed on one log line: control
 * characters (a newline could forge a line, an escape sequence could repaint the terminal) are
 * shown escaped, `\n`, `\x1b`, `\u2028`.
 */
export function logSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    const code = c.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`
  })
}
