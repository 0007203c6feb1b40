/**
 * The review page: its own static files, the front-end libraries it uses (served from the npm
 * packages callqa ships, never a CDN), and the page itself with a Content-Security-Policy that lets
 * only the page's own script, styles and media run (wavesurfer.js for the waveform, uPlot for the
 * charts). One exception is made, narrowly: the waveform
 * library puts a <style> element in its shadow root, so each page load gets a fresh nonce that
 * the page hands to the library, and only a style carrying it is applied (no 'unsafe-inline').
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web')
const require = createRequire(import.meta.url)

/** Front-end libraries by the name the page imports them under. */
function vendorFiles(): Record<string, { file: string; type: string }> {
  // wavesurfer.js's exports map hides package.json; its CommonJS entry sits beside the ES module.
  const waves = path.dirname(require.resolve('wavesurfer.js'))
  const charts = path.dirname(require.resolve('uplot'))
  const js = 'text/javascript; charset=utf-8'
  return {
    'wavesurfer.esm.js': { file: path.join(waves, 'wavesurfer.esm.js'), type: js },
    'regions.esm.js': { file: path.join(waves, 'plugins', 'regions.esm.js'), type: js },
    'uplot.esm.js': { file: path.join(charts, 'uPlot.esm.js'), type: js },
    'uplot.css': { file: path.join(charts, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  }
}

const policy = (styleNonce?: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ''}`,
    "media-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ')

function secure(reply: FastifyReply, styleNonce?: string) {
  reply.header('content-security-policy', policy(styleNonce))
  reply.header('x-content-type-options', 'nosniff')
  reply.header('referrer-policy', 'no-referrer')
}

export async function webRoutes(app: FastifyInstance): Promise<void> {
  const vendor = vendorFiles()
  const index = await readFile(path.join(webDir, 'index.html'), 'utf8')
  const page = async (_request: unknown, reply: FastifyReply) => {
    const nonce = randomBytes(16).toString('base64')
    secure(reply, nonce)
    reply.header('cache-control', 'no-store')
    return reply
      .type('text/html; charset=utf-8')
      .send(
        index.replace('<meta name="csp-nonce" content="" />', `<meta name="csp-nonce" content="${nonce}" />`),
      )
  }
  app.get('/', { schema: { hide: true } }, page)
  app.get('/index.html', { schema: { hide: true } }, page)
  app.get<{ Params: { file: string } }>(
    '/vendor/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      // Only the listed files: the name never reaches the file system unchecked.
      const known = Object.hasOwn(vendor, request.params.file) ? vendor[request.params.file] : undefined
      if (!known) return reply.code(404).type('text/plain').send('not found')
      secure(reply)
      reply.header('cache-control', 'public, max-age=86400')
      return reply.type(known.type).send(await readFile(known.file))
    },
  )
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    index: false,
    wildcard: false,
    // The page itself is served above, with its nonce.
    globIgnore: ['index.html'],
    setHeaders: (reply) => secure(reply as unknown as FastifyReply),
  })
}
