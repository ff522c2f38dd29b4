import { createReadStream } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';

/** One non-blank line: its text and its number (1-based). */
export interface NdjsonLine {
  text: string;
  number: number;
}

/** A line as bytes: buf[start, end), without its line feed; `number` as NdjsonLine's. */
export interface LineBytes {
  buf: Buffer;
  start: number;
  end: number;
  number: number;
}

export interface ReaderMark {
  position: number;
  lineNo: number;
}

const NEWLINE = 0x0a;
const READ_SIZE = 1 << 20;

/**
 * The lines of an NDJSON file, read 1 MB at a time and split on the newline byte (which never
 * occurs inside a UTF-8 sequence), each given as bytes of the reader's buffer (decoded by the caller
 * only when it must be): memory stays flat whatever the file's size. Lines are
 * numbered as `text.split('\n')` numbers them after a leading BOM; blank lines are counted, not returned.
 */
export class NdjsonReader {
  private buf = Buffer.alloc(0);
  private off = 0;
  /** File position of buf[0]. */
  private pos = 0;
  private lineNo = 0;
  private eof = false;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<NdjsonReader> {
    return new NdjsonReader(await open(path, 'r'));
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /**
   * The next non-blank line as bytes of the reader's buffer (valid until the next call), null at the
   * end of the file, or undefined when the buffer holds no whole line: `await fill()`, then call again.
   */
  nextBytes(): LineBytes | null | undefined {
    for (;;) {
      const nl = this.buf.indexOf(NEWLINE, this.off);
      if (nl === -1 && !(this.eof && this.off < this.buf.length)) return this.eof ? null : undefined;
      const end = nl === -1 ? this.buf.length : nl;
      const start = this.off;
      this.lineNo += 1;
      this.off = nl === -1 ? this.buf.length : nl + 1;
      if (this.isBlank(start, end)) continue;
      const line = this.line;
      line.buf = this.buf;
      line.start = start;
      line.end = end;
      line.number = this.lineNo;
      return line;
    }
  }

  private readonly line: LineBytes = { buf: Buffer.alloc(0), start: 0, end: 0, number: 0 };

  /** Blank as `text.trim() === ''` says: ASCII whitespace only, or (rarely) Unicode spaces, told by decoding. */
  private isBlank(start: number, end: number): boolean {
    let i = start;
    while (i < end && (this.buf[i] === 0x20 || (this.buf[i] >= 0x09 && this.buf[i] <= 0x0d))) i++;
    if (i === end) return true;
    return this.buf[i] < 0x80 ? false : this.buf.toString('utf8', start, end).trim() === '';
  }

  /** Where the reader is: `rewind` comes back here (a batch read again after its direct COPY gave way). */
  mark(): ReaderMark {
    return { position: this.pos + this.off, lineNo: this.lineNo };
  }

  /** Reads again from a mark (the bytes are read from the file again; nothing was kept). */
  rewind(mark: ReaderMark): void {
    this.buf = Buffer.alloc(0);
    this.pos = mark.position;
    this.off = 0;
    this.lineNo = mark.lineNo;
    this.eof = false;
  }

  /** Reads more of the file (nextBytes said undefined). */
  async fill(): Promise<void> {
    const chunk = Buffer.allocUnsafe(READ_SIZE);
    const { bytesRead } = await this.file.read(chunk, 0, READ_SIZE, this.pos + this.buf.length);
    if (bytesRead === 0) {
      this.eof = true;
      return;
    }
    const first = this.pos === 0 && this.buf.length === 0;
    this.pos += this.off;
    this.buf = Buffer.concat([this.buf.subarray(this.off), chunk.subarray(0, bytesRead)]);
    this.off = first && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf ? 3 : 0;
  }
}

/** The first line of a file holding something (without a BOM), read no further than `limit` characters; null if none. */
export async function firstNonBlankLine(path: string, limit: number): Promise<string | null> {
  let text = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
    text = (text + (chunk as string)).replace(/^\uFEFF/, '');
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl === -1) break;
      const line = text.slice(0, nl);
      if (line.trim() !== '') return line;
      text = text.slice(nl + 1);
    }
    if (text.length > limit) return text;
  }
  return text.trim() === '' ? null : text;
}

