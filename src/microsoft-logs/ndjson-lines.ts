import { createReadStream } from 'node:fs';

/** A run of NDJSON lines: their texts and their line numbers in the file (1-based). */
export interface LineBatch {
  lines: string[];
  numbers: number[];
}

/**
 * The non-blank lines of a file, `size` at a time, read as a stream (memory holds one batch and
 * one read buffer). Lines are numbered as `text.split('\n')` numbers them after a leading BOM.
 */
export async function* ndjsonBatches(path: string, size: number): AsyncGenerator<LineBatch> {
  let batch: LineBatch = { lines: [], numbers: [] };
  let carry = '';
  let lineNo = 0;
  let first = true;
  const take = (line: string) => {
    lineNo += 1;
    if (line.trim() !== '') {
      batch.lines.push(line);
      batch.numbers.push(lineNo);
    }
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    let text = carry + (chunk as string);
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
      if (batch.lines.length >= size) {
        yield batch;
        batch = { lines: [], numbers: [] };
      }
    }
    carry = text.slice(start);
  }
  take(carry);
  if (batch.lines.length > 0) yield batch;
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

/** A line as a COPY text-format field: backslash, tab, newline and carriage return escaped. */
export function copyField(text: string): string {
  if (text.indexOf('\\') === -1 && text.indexOf('\t') === -1 && text.indexOf('\r') === -1 && text.indexOf('\n') === -1) return text;
  return text.replace(/[\\\t\r\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\n'));
}
