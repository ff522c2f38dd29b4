import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/**
 * A unit of work on one database connection. Services own transactions (they decide what is atomic)
 * and pass a Tx down to repositories; only repositories look inside it.
 */
export interface Tx {
  readonly queryRunner: QueryRunner;
}

export interface TransactionOptions {
  isolation?: IsolationLevel;
  /**
   * A session-level advisory lock, pg_advisory_lock(hashtext(space), hashtext(key)), taken on the
   * transaction's connection before the transaction begins and released after it ends. Taken inside
   * the transaction, a REPEATABLE READ snapshot would date from before the wait and miss what the
   * previous holder committed.
   */
  lock?: { space: string; key: string };
}

@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  async run<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    const { lock } = options;
    try {
      if (lock) await queryRunner.query(`SELECT pg_advisory_lock(hashtext($1), hashtext($2))`, [lock.space, lock.key]);
      await queryRunner.startTransaction(options.isolation);
      try {
        const result = await fn({ queryRunner });
        await queryRunner.commitTransaction();
        return result;
      } catch (error) {
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      // The unlock fails only on a broken connection, whose session (and lock) the server has ended.
      if (lock) await queryRunner.query(`SELECT pg_advisory_unlock(hashtext($1), hashtext($2))`, [lock.space, lock.key]).catch(() => undefined);
      await queryRunner.release();
    }
  }
}

/** Savepoints inside a Tx: a part of the work that can give way (rolled back) without the rest. */
export async function savepoint(tx: Tx, name: string): Promise<void> {
  await tx.queryRunner.query(`SAVEPOINT ${name}`);
}

export async function releaseSavepoint(tx: Tx, name: string): Promise<void> {
  await tx.queryRunner.query(`RELEASE SAVEPOINT ${name}`);
}

export async function rollbackToSavepoint(tx: Tx, name: string): Promise<void> {
  await tx.queryRunner.query(`ROLLBACK TO SAVEPOINT ${name}`);
}
