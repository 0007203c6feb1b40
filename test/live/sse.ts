/**
 * A reader of server-sent events (the WHATWG format: `event:` and `data:` lines, a blank line ends
 * an event) over a real HTTP connection, as a browser's EventSource reads them.
 */
export interface SseEvent {
  event: string
  data: Record<string, unknown>
  /** when it arrived (performance.now()) */
  at: number
}

export class SseReader {
  readonly events: SseEvent[] = []
  private readonly abort = new AbortController()
  private waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = []
  status = 0
  contentType = ''
  readonly ready: Promise<void>

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ready = this.run(url, headers)
  }

  private async run(url: string, headers: Record<string, string>): Promise<void> {
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: this.abort.signal,
    })
    this.status = res.status
    this.contentType = res.headers.get('content-type') ?? ''
    if (!res.ok || !res.body) return
    void this.read(res.body.getReader())
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let cut = buffer.indexOf('\n\n')
        while (cut >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          this.parse(block)
          cut = buffer.indexOf('\n\n')
        }
      }
    } catch {
      // aborted
    }
  }

  private parse(block: string): void {
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue
      if (line.startsWith('event:')) event = line.slice(6).trim()
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
    }
    if (data.length === 0) return
    const e: SseEvent = { event, data: JSON.parse(data.join('\n')), at: performance.now() }
    this.events.push(e)
    for (const w of this.waiters.filter((x) => x.match(e))) w.resolve(e)
    this.waiters = this.waiters.filter((x) => !x.match(e))
  }

  next(match: (e: SseEvent) => boolean, timeoutMs = 20_000): Promise<SseEvent> {
    const seen = this.events.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such event in time')), timeoutMs)
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        },
      })
    })
  }

  close(): void {
    this.abort.abort()
  }
}
