import { Command, CommandRunner, Option } from 'nest-commander';
import { ErrorCode, OcreconError } from '../common/ocrecon-error';
import { ImportMicrosoftService, ImportResult } from '../microsoft-logs/import.service';
import { ShutdownSignal } from '../common/shutdown';
import { PullReport, PullService } from '../microsoft-logs/pull.service';
import { printResult } from './output';
import { createProgress } from './progress';
import { statSync } from 'node:fs';
import { basename } from 'node:path';

interface PullOptions {
  tenant?: string;
  carrier?: string;
  from?: string;
  to?: string;
  source?: string;
  json?: boolean;
}

function summary(r: PullReport): string {
  return r.tenants
    .map((t) => {
      const parts = Object.entries(t.sources).map(([s, c]) => `${s}: ${c!.received} rows in ${c!.pages} pages (${c!.inserted} new, ${c!.updated} changed, ${c!.rejected} rejected)`);
      return `tenant ${t.tenantId}${t.ok ? '' : ' FAILED'}: ${parts.join('; ') || 'nothing pulled'}`;
    })
    .join('\n');
}

@Command({ name: 'pull', description: "pull Microsoft's PSTN and Direct Routing logs (and the dial-out report) from Graph for a window" })
export class PullCommand extends CommandRunner {
  constructor(
    private readonly pulls: PullService,
    private readonly shutdown: ShutdownSignal,
  ) {
    super();
  }

  async run(_: string[], o: PullOptions): Promise<void> {
    // A stop signal ends each tenant's pull at its next page (or in a wait for Graph), every page
    // before it committed with its cursor: the same command run again resumes there.
    const unsubscribe = this.shutdown.onRequest(() => process.stderr.write('\nocrecon: stopping: each pull ends at its next page…\n'));
    try {
      await this.pullAll(o);
    } finally {
      unsubscribe();
    }
  }

  private async pullAll(o: PullOptions): Promise<void> {
    const progress = process.stderr.isTTY
      ? (e: { tenantId: string; source: string; pages: number; received: number; waiting?: boolean }) =>
          process.stderr.write(e.waiting
            ? `\r${e.tenantId} ${e.source}: waiting for another pull of this tenant to end\n`
            : `\r${e.tenantId} ${e.source}: ${e.pages} pages, ${e.received} rows   `)
      : undefined;
    const report = await this.pulls.pull({ tenantId: o.tenant, carrierId: o.carrier, from: o.from!, to: o.to!, source: o.source }, progress, this.shutdown.stopping);
    if (progress) process.stderr.write('\n');
    printResult(report, o.json, () => summary(report));
    if (report.tenants.some((t) => t.stopped)) {
      throw new OcreconError(ErrorCode.Unavailable, 'pull: stopped by a stop signal; every page pulled is stored: run the same command again to resume');
    }
    const failed = report.tenants.filter((t) => !t.ok);
    if (failed.length > 0) {
      throw new OcreconError(ErrorCode.Unavailable, `pull: ${failed.length} of ${report.tenants.length} tenants failed: ${failed.map((t) => t.error).join(' | ')}`);
    }
  }

  @Option({ flags: '--tenant <tenantGuid>', description: 'pull this tenant (on its cloud)' }) parseTenant(v: string) { return v; }
  @Option({ flags: '--carrier <carrierId>', description: 'pull every tenant of this carrier' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--from <ts>', description: 'window start, inclusive (ISO 8601 or a date, UTC)' }) parseFrom(v: string) { return v; }
  @Option({ flags: '--to <ts>', description: 'window end, exclusive' }) parseTo(v: string) { return v; }
  @Option({ flags: '--source <source>', description: 'pstn, direct-routing, dialout or all (default)' }) parseSource(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'import-microsoft', arguments: '<file>', description: "load Microsoft rows from a saved Graph response (JSON, NDJSON) or the admin center's PSTN export (CSV)" })
export class ImportMicrosoftCommand extends CommandRunner {
  constructor(
    private readonly imports: ImportMicrosoftService,
    private readonly shutdown: ShutdownSignal,
  ) {
    super();
  }

  async run([file]: string[], o: { tenant?: string; source?: string; operator?: string; json?: boolean }): Promise<void> {
    if (!o.tenant) throw new OcreconError(ErrorCode.InvalidInput, 'import-microsoft: --tenant is required');
    // A stop signal ends the import at its next batch and rolls it back, evidence included (on its own,
    // the process would end at once, leaving raw batches committed for the file but named by no row).
    const unsubscribe = this.shutdown.onRequest(() => process.stderr.write('ocrecon: stopping: the import is rolled back…\n'));
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      // importFile names the file it cannot read.
    }
    const progress = createProgress({ label: basename(file), total: size, unit: 'bytes' });
    let r: ImportResult;
    try {
      r = await this.imports.importFile(file, o.tenant, {
        source: o.source, operator: o.operator, signal: this.shutdown.stopping, onProgress: (p) => progress.update(p.bytesRead, p.rowsRead),
        onWaiting: () => process.stderr.isTTY && process.stderr.write(`\rtenant ${o.tenant}: waiting for its pull (or import) under way to end\n`),
      });
    } finally {
      progress.stop();
      unsubscribe();
    }
    printResult(r, o.json, () =>
      [`${file} (${r.format}): ${r.rowsRead} rows read, ${r.inserted} new, ${r.updated} changed, ${r.unchanged} unchanged, ${r.rejected} rejected`,
        ...(r.operatorAssumed ? [`  operator: ${JSON.stringify(r.operator)}, the tenant's carrier's (the export names none; --operator to say another)`] : []),
        ...r.problems.slice(0, 20).map((p) => `  ${p.line !== undefined ? `line ${p.line}` : p.at}: ${p.reason}`),
        ...(r.problems.length > 20 ? [`  … ${r.rejected - 20} more (see --json)`] : [])].join('\n'));
  }

  @Option({ flags: '--tenant <tenantGuid>' }) parseTenant(v: string) { return v; }
  @Option({ flags: '--source <source>', description: 'pstn or direct-routing, when the file does not tell' }) parseSource(v: string) { return v; }
  @Option({ flags: '--operator <name>', description: "admin-center export: whose calls it holds (default: the operator name of the tenant's carrier)" }) parseOperator(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}
