/** Writes only the supplied transcripts beside the sample calls, from their truth (no audio work). */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { loadTruths, samplesDir, transcriptFromTruth, WITHOUT_TRANSCRIPT } from './ground-truth.js'

for (const truth of loadTruths()) {
  if (WITHOUT_TRANSCRIPT.has(truth.id)) continue
  const file = path.join(samplesDir, `${truth.id}.json`)
  writeFileSync(file, `${JSON.stringify(transcriptFromTruth(truth), null, 1)}\n`)
  console.log(`wrote ${path.basename(file)}`)
}
