import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import { DatabaseUrl } from './tokens';
import { runMigrations } from '../database/runtime';
import { printResult } from './output';
import { Inject } from '@nestjs/common';

@Command({ name: 'migrate', description: 'apply pending database migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@Inject(DatabaseUrl) private readonly url: string, readonly config: AppConfig) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const applied = await runMigrations(this.url);
    printResult({ applied }, o.json, () => (applied.length ? `applied ${applied.join(', ')}` : 'the schema is current'));
  }

  @Option({ flags: '--json' }) parseJson() { return true; }
}
