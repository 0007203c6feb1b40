/**
 * Trains the English sentiment model: logistic regression over `extractFeatures` (rule scores +
 * n-grams) on the labelled yelp and imdb sentences shipped by the `sentiment` package, with
 * TensorFlow.js on its wasm backend. amazon.json is never read here: it is kept for evaluation
 * (`npm run bench:sentiment`).
 *
 * The L2 strength is chosen by 5-fold cross-validation on the training sentences, then the model
 * is fitted on all of them and written to models/sentiment/en-weights.json (weights rounded, near
 * zeros dropped).
 *
 *   npm run train:sentiment
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { extractFeatures } from '../models/sentiment/english.js'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const OUT = path.join(here, '..', 'models', 'sentiment', 'en-weights.json')

interface Labelled {
  text: string
  class: 0 | 1
}

function fixture(name: string): Labelled[] {
  const file = require.resolve(`sentiment/test/fixtures/${name}.json`)
  return JSON.parse(readFileSync(file, 'utf8')) as Labelled[]
}

const MIN_COUNT = 2
const EPOCHS = 400
const L2_GRID = [3e-4, 1e-3, 3e-3, 1e-2]
const FOLDS = 5

/** Deterministic shuffle (mulberry32) so the folds and the result are reproducible. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

function vocabulary(rows: ReadonlyArray<Map<string, number>>): string[] {
  const counts = new Map<string, number>()
  for (const row of rows) for (const name of row.keys()) counts.set(name, (counts.get(name) ?? 0) + 1)
  return [...counts].filter(([name, n]) => n >= MIN_COUNT || name.startsWith('__')).map(([name]) => name)
}

function matrix(rows: ReadonlyArray<Map<string, number>>, vocab: readonly string[]): tf.Tensor2D {
  const index = new Map(vocab.map((name, i) => [name, i]))
  const data = new Float32Array(rows.length * vocab.length)
  rows.forEach((row, r) => {
    for (const [name, value] of row) {
      const c = index.get(name)
      if (c !== undefined) data[r * vocab.length + c] = value
    }
  })
  return tf.tensor2d(data, [rows.length, vocab.length])
}

async function train(
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  l2: number,
): Promise<{ w: tf.Variable; b: tf.Variable }> {
  const w = tf.variable(tf.zeros([x.shape[1], 1]))
  const b = tf.variable(tf.zeros([1]))
  const optimizer = tf.train.adam(0.05)
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    optimizer.minimize(() => {
      const logits = tf.add(tf.matMul(x, w), b)
      const loss = tf.losses.sigmoidCrossEntropy(y, logits)
      return tf.add(loss, tf.mul(l2, tf.sum(tf.square(w)))) as tf.Scalar
    })
  }
  optimizer.dispose()
  return { w, b }
}

function accuracy(
  x: tf.Tensor2D,
  labels: readonly number[],
  model: { w: tf.Variable; b: tf.Variable },
): number {
  const z = tf.tidy(() => tf.add(tf.matMul(x, model.w), model.b).dataSync())
  let right = 0
  labels.forEach((label, i) => {
    if (((z[i] ?? 0) > 0 ? 1 : 0) === label) right++
  })
  return right / labels.length
}

async function main(): Promise<void> {
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`)
  await tf.setBackend('wasm')
  await tf.ready()
  const data = shuffled([...fixture('yelp'), ...fixture('imdb')], 20261123)
  const features = data.map((d) => extractFeatures(d.text).features)
  const labels = data.map((d) => d.class)
  console.log(`backend ${tf.getBackend()}, ${data.length} training sentences (yelp + imdb)`)

  let best = { l2: L2_GRID[0] ?? 1e-3, accuracy: -1 }
  for (const l2 of L2_GRID) {
    let sum = 0
    for (let fold = 0; fold < FOLDS; fold++) {
      const test = (i: number) => i % FOLDS === fold
      const trainRows = features.filter((_, i) => !test(i))
      const vocab = vocabulary(trainRows)
      const x = matrix(trainRows, vocab)
      const y = tf.tensor2d(
        labels.filter((_, i) => !test(i)),
        [trainRows.length, 1],
      )
      const model = await train(x, y, l2)
      const testRows = features.filter((_, i) => test(i))
      const xt = matrix(testRows, vocab)
      sum += accuracy(
        xt,
        labels.filter((_, i) => test(i)),
        model,
      )
      tf.dispose([x, y, xt, model.w, model.b])
    }
    const mean = sum / FOLDS
    console.log(`l2=${l2}: ${FOLDS}-fold accuracy ${(mean * 100).toFixed(1)}%`)
    if (mean > best.accuracy) best = { l2, accuracy: mean }
  }

  const vocab = vocabulary(features)
  const x = matrix(features, vocab)
  const y = tf.tensor2d(labels, [labels.length, 1])
  const model = await train(x, y, best.l2)
  const w = model.w.dataSync()
  const weights: Record<string, number> = {}
  vocab.forEach((name, i) => {
    const value = Math.round((w[i] ?? 0) * 1e4) / 1e4
    if (Math.abs(value) >= 1e-3) weights[name] = value
  })
  const bias = Math.round((model.b.dataSync()[0] ?? 0) * 1e4) / 1e4
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        trained: 'logistic regression, tfjs wasm, yelp.json + imdb.json from the sentiment package',
        l2: best.l2,
        crossValidatedAccuracy: Math.round(best.accuracy * 1000) / 1000,
        bias,
        weights,
      },
      null,
      0,
    )}\n`,
  )
  console.log(
    `chose l2=${best.l2} (cv ${(best.accuracy * 100).toFixed(1)}%); ${Object.keys(weights).length} weights → ${path.relative(process.cwd(), OUT)}`,
  )
}

await main()
