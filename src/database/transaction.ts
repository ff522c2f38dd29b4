import { Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';

/**
 * A unit of work on one database connection. Services own transactions (they decide what is atomic)
 * and pass a Tx down to repositories; only repositories look inside it.
 */
export interface Tx {
  readonly queryRunner: QueryRunner;
}

@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  async run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    await queryRunner.startTransaction();
    try {
      const result = await fn({ queryRunner });
      await queryRunner.commitTransaction();
      return result;
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await queryRunner.release();
    }
  }
}
