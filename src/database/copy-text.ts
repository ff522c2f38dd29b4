/**
 * A value as one field of PostgreSQL's COPY text format: backslash and the three control characters
 * that would end a field or a row are escaped. Most values have none of them and are returned as they
 * are (this runs for every field of every row of a bulk load).
 */
export function copyText(value: string): string {
  if (value.indexOf('\\') === -1 && value.indexOf('\t') === -1 && value.indexOf('\r') === -1 && value.indexOf('\n') === -1) return value;
  return value.replace(/[\\\t\r\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\n'));
}
