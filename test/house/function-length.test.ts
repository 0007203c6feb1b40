/**
 * The house rule the pipeline and the page keep: no function of 80 lines or more. Functions are
 * found by TypeScript's own parser (declarations, methods, arrows and function expressions), so
 * a long callback inside a call counts as much as a named function.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const LIMIT = 80

function files(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name))
}

/** Every function of a file with its length in lines, longest first. */
function functionLengths(file: string): Array<{ where: string; lines: number }> {
  const text = readFileSync(file, 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: Array<{ where: string; lines: number }> = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      found.push({ where: `${path.relative(ROOT, file)}:${start + 1}`, lines: end - start + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.sort((a, b) => b.lines - a.lines)
}

for (const dir of ['pipeline', 'web'])
  test(`no function in ${dir}/ reaches ${LIMIT} lines`, () => {
    const all = files(dir).flatMap(functionLengths)
    expect(all.length).toBeGreaterThan(10)
    expect(all.filter((f) => f.lines >= LIMIT)).toEqual([])
  })

test('the measure finds a long function where there is one', () => {
  const long = ['function f() {', ...Array.from({ length: 90 }, (_, i) => `  const a${i} = ${i}`), '}']
  const source = ts.createSourceFile('x.js', long.join('\n'), ts.ScriptTarget.Latest, true)
  let lines = 0
  ts.forEachChild(source, (n) => {
    if (ts.isFunctionDeclaration(n)) lines = source.getLineAndCharacterOfPosition(n.getEnd()).line + 1
  })
  expect(lines).toBe(92)
})
