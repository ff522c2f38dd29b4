import { DataSource, QueryRunner } from 'typeorm';

/**
 * One raw batch; `$4`, a Buffer, goes in binary format: for text, the UTF-8 bytes themselves (PostgreSQL
 * checks the encoding). `$5`: the import's transaction when the batch is written apart from its rows
 * (RawBatchWriter), null when it goes with them (a pull's page).
 */
export const INSERT_RAW_BATCH = `INSERT INTO microsoft_raw_batches (id, tenant_id, row_count, lines, import_xact) VALUES ($1, $2, $3, $4::text, $5)`;

/**
 * The raw rows of the batches an import COPYs straight into microsoft_call_rows, written on a
 * connection of their own: PostgreSQL compresses and stores the evidence on the second core while
 * the import's connection takes the next batch (on one connection the evidence was a fifth of the
 * import's time, with the other core idle).
 *
 * The evidence goes first. `commit` makes the batches written so far durable and visible to the
 * import's connection; the import calls it before an upsert that compares rows with their stored
 * evidence, and before its own transaction commits. When the import fails, `discard` rolls back the
 * batches not committed and deletes the committed ones. Only a process killed between the two
 * commits leaves batches behind, named by no row: evidence of nothing, and never a row without its
 * evidence. Each batch names the import's transaction (`owner`), so such leftovers are found and
 * deleted later, once that transaction is known to have aborted (deleteAbandonedEvidence).
 */
export class RawBatchWriter {
  private runner: QueryRunner | null = null;
  private open = false;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private readonly committed: string[] = [];
  private readonly uncommitted: string[] = [];

  /** The import's transaction id (pg_current_xact_id()::text), named by every batch written. */
  private owner: string | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Names the import transaction whose rows the batches are the evidence of (before the first write). */
  ownedBy(xact: string): void {
    this.owner = xact;
  }

  /**
   * Writes a batch after the ones before it (`lines`: UTF-8, one row's JSON text per line). Settles
   * when `lines` may be reused; never rejects: a failure is thrown by `check` or `commit`.
   */
  write(id: string, tenantId: string, count: number, lines: Buffer): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.failure !== undefined) return;
      try {
        if (!this.runner) {
          this.runner = this.dataSource.createQueryRunner();
          await this.runner.connect();
        }
        if (!this.open) {
          await this.runner.startTransaction();
          this.open = true;
        }
        this.uncommitted.push(id);
        await this.runner.query(INSERT_RAW_BATCH, [id, tenantId, count, lines, this.owner]);
      } catch (error) {
        this.failure = error;
      }
    });
    return this.queue;
  }

  /** Throws the failure of a write, if one failed. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for the writes queued and commits them. */
  async commit(): Promise<void> {
    await this.queue;
    this.check();
    if (!this.open) return;
    this.open = false;
    await this.runner!.commitTransaction();
    this.committed.push(...this.uncommitted);
    this.uncommitted.length = 0;
  }

  /** After the import failed: what was written is rolled back or deleted (on a broken connection the server has rolled back what was open). */
  async discard(): Promise<void> {
    await this.queue;
    if (!this.runner) return;
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
      if (this.committed.length > 0) await this.runner.query(`DELETE FROM microsoft_raw_batches WHERE id = ANY($1::bigint[])`, [this.committed]);
    } catch {
      // the connection is gone: committed batches stay, named by no row
    }
  }

  /** Lets the connection go (after commit or discard). */
  async release(): Promise<void> {
    await this.queue;
    const runner = this.runner;
    this.runner = null;
    if (runner) await runner.release();
  }
}
