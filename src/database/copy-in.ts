import { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Tx } from './transaction';

/** `COPY … FROM STDIN` (sql) on the transaction's connection, fed by source (COPY data in the statement's format); the rows copied. */
export async function copyIn(tx: Tx, sql: string, source: Readable): Promise<number> {
  const client = (await tx.queryRunner.connect()) as PoolClient;
  const copy = client.query(copyFrom(sql));
  await pipeline(source, copy);
  return copy.rowCount;
}

/** The error is PostgreSQL's unique violation (23505) of the named constraint. */
export function violatesUnique(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === constraint;
}
