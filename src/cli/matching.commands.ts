import { Command, CommandRunner, Option } from 'nest-commander';
import { DiscrepanciesService, EXPORT_COLUMNS } from '../discrepancies/discrepancies.service';
import { invalidInput } from '../common/ocrecon-error';
import { MatchingService } from '../matching/matching.service';
import { collect, csvCell, printResult, writeOut as write } from './output';


@Command({ name: 'reconcile', description: 'match a carrier window and store its discrepancies' })
export class ReconcileCommand extends CommandRunner {
  constructor(private readonly matching: MatchingService) {
    super();
  }

  async run(_: string[], o: { carrier?: string; from?: string; to?: string; json?: boolean }): Promise<void> {
    if (!o.carrier) throw invalidInput('reconcile: --carrier is required');
    // On a terminal, the pass under way and the time so far (a month's window takes minutes); nothing otherwise.
    const started = Date.now();
    const tty = process.stderr.isTTY;
    const onPass = tty ? (pass: string) => process.stderr.write(`\r\x1b[2Kreconcile: ${pass}… ${((Date.now() - started) / 1000).toFixed(1)} s`) : undefined;
    const r = await this.matching.reconcile({ carrierId: o.carrier, from: o.from!, to: o.to!, onPass }).finally(() => tty && process.stderr.write('\r\x1b[2K'));
    printResult(r, o.json, () => {
      const kinds = Object.entries(r.counts).map(([k, n]) => `  ${k}: ${n}`).join('\n');
      const money = r.totalsByCurrency.length
        ? r.totalsByCurrency.map((t) => `  ${t.currency ?? '(no currency)'}: microsoft ${t.microsoftTotal}, carrier ${t.carrierTotal}, delta ${t.moneyDelta}`).join('\n')
        : '  no money on either side';
      return [
        `run ${r.runId}: carrier ${r.carrierId} [${r.from}, ${r.to}), ${r.inputs.microsoft.rows} Microsoft and ${r.inputs.carrier.rows} carrier rows looked at`,
        `pairs: ${r.pairs.callId} by call id, ${r.pairs.numbersAndTime} by numbers and time`,
        `discrepancies:`, kinds,
        `money (carrier − Microsoft):`, money,
        ...(r.daysWithoutCarrierData.length ? [`days without carrier data (their calls are not reported missing): ${r.daysWithoutCarrierData.join(', ')}`] : []),
      ].join('\n');
    });
  }

  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--from <ts>', description: 'ISO 8601 or a date (00:00 UTC), inclusive' }) parseFrom(v: string) { return v; }
  @Option({ flags: '--to <ts>', description: 'ISO 8601 or a date (00:00 UTC), exclusive' }) parseTo(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'discrepancies', description: 'export the stored discrepancies of a window (CSV or JSON)' })
export class DiscrepanciesCommand extends CommandRunner {
  constructor(private readonly discrepancies: DiscrepanciesService) {
    super();
  }

  async run(_: string[], o: { carrier?: string; from?: string; to?: string; kind?: string[]; format?: string; json?: boolean }): Promise<void> {
    if (!o.carrier) throw invalidInput('discrepancies: --carrier is required');
    const format = o.json ? 'json' : (o.format ?? 'csv');
    if (format !== 'csv' && format !== 'json') throw invalidInput(`--format must be csv or json, got ${JSON.stringify(o.format)}`);
    const pages = this.discrepancies.export({ carrierId: o.carrier, from: o.from!, to: o.to!, kinds: o.kind });
    // The first page is read before anything is written, so a bad argument fails with no partial output.
    const first = await pages.next();
    if (format === 'csv') {
      await write(EXPORT_COLUMNS.join(',') + '\n');
      for (let p = first; !p.done; p = await pages.next()) await write(p.value.map((r) => EXPORT_COLUMNS.map((c) => csvCell(r[c])).join(',') + '\n').join(''));
    } else {
      await write('[');
      let n = 0;
      for (let p = first; !p.done; p = await pages.next()) await write(p.value.map((r) => (n++ ? ',\n' : '\n') + JSON.stringify(r)).join(''));
      await write(n ? '\n]\n' : ']\n');
    }
  }

  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--from <ts>' }) parseFrom(v: string) { return v; }
  @Option({ flags: '--to <ts>' }) parseTo(v: string) { return v; }
  @Option({ flags: '--kind <kind>', description: 'only this kind (repeatable)' }) parseKind(v: string, p?: string[]) { return collect(v, p); }
  @Option({ flags: '--format <format>', description: 'csv (default) or json' }) parseFormat(v: string) { return v; }
  @Option({ flags: '--json', description: 'same as --format json' }) parseJson() { return true; }
}

@Command({ name: 'review', arguments: '<discrepancyId>', description: 'set the review status of a discrepancy (kept across re-runs)' })
export class ReviewCommand extends CommandRunner {
  constructor(private readonly discrepancies: DiscrepanciesService) {
    super();
  }

  async run([id]: string[], o: { status?: string; note?: string; actor?: string; json?: boolean }): Promise<void> {
    if (!o.status) throw invalidInput('review: --status is required');
    const r = await this.discrepancies.review(id, o.status, o.note, o.actor);
    printResult(r, o.json, () => `discrepancy ${r.id} is now ${r.status} (${r.history.length} events in its history)`);
  }

  @Option({ flags: '--status <status>', description: 'OPEN, IN_REVIEW, DISPUTED, ACCEPTED or RESOLVED' }) parseStatus(v: string) { return v; }
  @Option({ flags: '--note <text>' }) parseNote(v: string) { return v; }
  @Option({ flags: '--actor <name>' }) parseActor(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

export const MatchingCommands = [ReconcileCommand, DiscrepanciesCommand, ReviewCommand];
