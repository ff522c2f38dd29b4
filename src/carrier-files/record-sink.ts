import { invalidInput } from '../common/ocrecon-error';
import { makeRowValidator, resolveColumns, RowProblem } from './cdr-row';
import { CarrierFileProfile } from './profile';

export interface ParseStats {
  rowsRead: number;
  rejectedLines: number;
  validRows: number;
  /** The UTC days the valid rows start on (YYYY-MM-DD): what the nightly reconciles again when the file comes late. */
  days: Set<string>;
}

type Validator = ReturnType<typeof makeRowValidator>;

/**
 * What happens to each record of a carrier file, whichever parser read it (csv-parse, or PapaParse for
 * a file whose records are its lines): lines counted as a text editor does (the header is line 1,
 * lines inside quoted fields count), the header resolved, blank lines passed over, each row validated
 * and turned into COPY text (`row`) or its problems (`problem`, which returns COPY text or '').
 */
export class RecordSink {
  /** COPY text made since the last take(). */
  text = '';
  private validate: Validator | null = null;
  /** The line the next record starts on. */
  private nextLine = 1;

  constructor(
    private readonly profile: CarrierFileProfile,
    private readonly row: (copyFields: string) => string,
    private readonly problem: (p: RowProblem) => string,
    readonly stats: ParseStats,
  ) {}

  record(fields: string[]): void {
    const line = this.nextLine;
    this.nextLine += 1;
    for (const f of fields) if (f.length > 0 && f.indexOf('\n') >= 0) this.nextLine += f.split('\n').length - 1;
    if (!this.validate) {
      if (this.profile.header) {
        this.validate = makeRowValidator(this.profile, resolveColumns(this.profile, fields), fields);
        return;
      }
      this.validate = makeRowValidator(this.profile, resolveColumns(this.profile, null), null);
    }
    if (fields.length === 1 && fields[0].trim() === '') return; // a blank line
    this.stats.rowsRead += 1;
    const result = this.validate(fields, line);
    if (result.ok) {
      this.stats.validRows += 1;
      this.stats.days.add(result.day);
      this.text += this.row(result.copyFields);
    } else {
      this.stats.rejectedLines += 1;
      for (const p of result.problems) this.text += this.problem(p);
    }
  }

  /** A record csv-parse could not read (skip_records_with_error), at the line it names. */
  skipped(error: Error & { lines?: number }): void {
    const line = error.lines ?? this.nextLine;
    this.stats.rowsRead += 1;
    this.stats.rejectedLines += 1;
    this.text += this.problem({ line, column: '', reason: `malformed CSV: ${error.message}` });
    this.nextLine = line + 1;
  }

  /** At the end of the file: a file that should have had a header and had nothing is an error. */
  finish(): void {
    if (!this.validate && this.profile.header) throw invalidInput('the file is empty: no header row');
  }

  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
}
