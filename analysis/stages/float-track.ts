/** A growing Float32Array: one value per window for a whole call (4 bytes each), no boxing. */
export class FloatTrack {
  private data: Float32Array
  length = 0

  constructor(capacity = 1024) {
    this.data = new Float32Array(capacity)
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.length++] = v
  }

  get(i: number): number {
    return this.data[i] ?? 0
  }

  /** The values so far (a view: valid until the next push). */
  view(): Float32Array {
    return this.data.subarray(0, this.length)
  }
}
