/** Bytes of COPY text per CopyData message. */
const COPY_CHUNK = 1 << 16;

/**
 * Text as UTF-8 bytes in one buffer, reused from batch to batch (it grows when a batch needs more):
 * what is mapped goes to PostgreSQL as it is, and no string of a row outlives its line. The byte
 * mapper (ndjson-bytes.ts) writes into it directly: `reserve`, then `buffer[length++] = …`.
 */
export class Utf8Bytes {
  buffer: Buffer;
  length = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  clear(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.length + n, 2 * this.buffer.length));
    this.buffer.copy(larger, 0, 0, this.length);
    this.buffer = larger;
  }

  add(text: string): void {
    this.reserve(3 * text.length);
    this.length += this.buffer.write(text, this.length);
  }

  /** A line feed, then `text` (the first line goes without). */
  addLine(text: string): void {
    if (this.length > 0) this.add('\n');
    this.add(text);
  }

  /** The bytes so far (a view of the buffer: valid until the next clear). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The bytes so far in views of COPY_CHUNK bytes. */
  *chunks(): Generator<Buffer> {
    for (let i = 0; i < this.length; i += COPY_CHUNK) yield this.buffer.subarray(i, Math.min(i + COPY_CHUNK, this.length));
  }
}

/**
 * Hashes of the ids of a batch, in one preallocated table (nothing of a row outlives its line, and
 * no table is reallocated as a Set's would be, into memory only a full collection frees).
 */
export class IdHashes {
  private readonly table = new Int32Array(1 << 14); // a power of two, over twice the batch size

  clear(): void {
    this.table.fill(0);
  }

  /** Adds the id's hash; true when it was there already (the same id, or rarely another with the same hash). */
  add(id: string): boolean {
    let h = 0;
    for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
    return this.addHash(h);
  }

  /** As `add`, for an id given as ASCII bytes (the same hash as the string of those characters). */
  addAscii(bytes: Uint8Array, start: number, end: number): boolean {
    let h = 0;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]) | 0;
    return this.addHash(h);
  }

  private addHash(h: number): boolean {
    if (h === 0) h = 1; // never 0, the empty slot (not `h | 1`: that made ids ending in 0 and 1 collide)
    const mask = this.table.length - 1;
    for (let slot = (h >>> 0) & mask; ; slot = (slot + 1) & mask) {
      if (this.table[slot] === 0) {
        this.table[slot] = h;
        return false;
      }
      if (this.table[slot] === h) return true;
    }
  }
}

/** The buffers one batch is mapped into: its COPY text, its raw lines (direct), its ids' hashes. */
export class BatchBuffers {
  readonly copy = new Utf8Bytes(2 << 20);
  readonly raw = new Utf8Bytes(4 << 20);
  readonly ids = new IdHashes();

  clear(): void {
    this.copy.clear();
    this.raw.clear();
    this.ids.clear();
  }
}
