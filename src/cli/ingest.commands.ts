import { Command, CommandRunner, Option } from 'nest-commander';
import { CarrierFilesRepository } from '../carrier-files/carrier-files.repository';
import { IngestService } from '../carrier-files/ingest.service';
import { invalidInput, notFound } from '../common/ocrecon-error';
import { csvCell, printResult, writeOut } from './output';
import { createProgress } from './progress';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { GUID } from '../common/guid';

@Command({ name: 'ingest', arguments: '<file>', description: 'load a carrier CDR file' })
export class IngestCommand extends CommandRunner {
  constructor(private readonly ingest: IngestService) {
    super();
  }

  async run([file]: string[], o: { carrier?: string; profile?: string; json?: boolean }): Promise<void> {
    if (!o.carrier) throw invalidInput('ingest: --carrier is required');
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      // ingestFile names the file it cannot read.
    }
    const progress = createProgress({ label: basename(file), total: size, unit: 'bytes' });
    const r = await this.ingest
      .ingestFile(file, o.carrier, o.profile, (p) => progress.update(p.bytesRead, p.rowsRead))
      .finally(() => progress.stop());
    const { status, alreadyIngested, ...core } = r;
    printResult({ ...core, ...(alreadyIngested ? { alreadyIngested } : {}), ...(status === 'rejected' ? { status } : {}) }, o.json, () =>
      alreadyIngested
        ? `${file}: already ingested as file ${r.fileId}; nothing changed`
        : `${file}: ${r.rowsRead} rows read, ${r.accepted} accepted, ${r.rejected} rejected, ${r.skipped} skipped (file ${r.fileId})` +
          (status === 'rejected' ? '; the profile fails the whole file on a bad row, so nothing was stored' : '') +
          (r.rejected > 0 ? `; see: ocrecon ingest-errors ${r.fileId}` : ''),
    );
  }

  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--profile <name>' }) parseProfile(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}


@Command({ name: 'ingest-errors', arguments: '<fileId>', description: 'the rejected rows of an ingested file, as CSV line,column,reason' })
export class IngestErrorsCommand extends CommandRunner {
  constructor(private readonly files: CarrierFilesRepository) {
    super();
  }

  async run([fileId]: string[]): Promise<void> {
    if (!GUID.test(fileId) || !(await this.files.findFile(fileId))) throw notFound(`no ingested file ${fileId}`);
    process.stdout.write('line,column,reason\n');
    for await (const page of this.files.streamErrors(fileId)) {
      await writeOut(page.map((e) => `${e.line},${csvCell(e.column)},${csvCell(e.reason)}\n`).join(''));
    }
  }
}
