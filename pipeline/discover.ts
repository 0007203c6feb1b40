import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'

/** File endings taken from folders. Files named explicitly are always tried, whatever their ending. */
export const AUDIO_EXTENSIONS = new Set([
  '.wav',
  '.mp3',
  '.ogg',
  '.opus',
  '.oga',
  '.flac',
  '.m4a',
  '.mp4',
  '.aac',
  '.wma',
  '.amr',
  '.aif',
  '.aiff',
  '.webm',
  '.gsm',
  '.au',
])

export interface DiscoveredInput {
  path: string
  /** Set when the path cannot be listed or read at all. */
  error?: string
  /** Set when the path is not ingested and why (a symlink to a folder, a device, a pipe). */
  skipped?: string
}

/** Expands folders (recursively, sorted) into audio files; keeps explicit files as given. */
export async function discoverInputs(inputs: readonly string[]): Promise<DiscoveredInput[]> {
  const out: DiscoveredInput[] = []
  const seen = new Set<string>()
  const add = (item: DiscoveredInput) => {
    if (seen.has(item.path)) return
    seen.add(item.path)
    out.push(item)
  }
  async function walk(dir: string) {
    const entries = await readdir(dir, { withFileTypes: true })
    entries.sort((a, b) => a.name.localeCompare(b.name))
    for (const e of entries) {
      const full = path.join(dir, e.name)
      const audio = AUDIO_EXTENSIONS.has(path.extname(e.name).toLowerCase())
      if (e.isDirectory()) await walk(full)
      else if (e.isFile()) {
        if (audio) add({ path: full })
      } else if (e.isSymbolicLink()) {
        // A link is followed only to a regular file; a linked folder is not walked (no loops).
        const target = await stat(full).catch(() => undefined)
        if (target?.isFile()) {
          if (audio) add({ path: full })
        } else
          add({
            path: full,
            skipped: target?.isDirectory()
              ? 'a symlink to a folder (not followed)'
              : target
                ? 'a symlink to something that is not a regular file'
                : 'a broken symlink',
          })
      } else if (audio) add({ path: full, skipped: 'not a regular file (a device, pipe or socket)' })
    }
  }
  for (const input of inputs) {
    const full = path.resolve(input)
    try {
      const st = await stat(full)
      if (st.isDirectory()) await walk(full)
      else add({ path: full })
    } catch (err) {
      add({ path: full, error: (err as Error).message })
    }
  }
  return out
}
