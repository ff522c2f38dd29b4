import { DynamicModule, Module } from '@nestjs/common';
import { AppModule } from '../app.module';
import { RuntimeOptions } from '../database/database.module';
import { NightlyCommand, RunsCommand } from './batch.commands';
import { IngestCommand, IngestErrorsCommand } from './ingest.commands';
import { MatchingCommands } from './matching.commands';
import { MigrateCommand } from './migrate.command';
import { ImportMicrosoftCommand, PullCommand } from './microsoft.commands';
import {
  CarriersAddCommand, CarriersCommand, CarriersListCommand, ProfilesAddCommand, ProfilesCommand, TenantsAddCommand, TenantsCommand,
} from './registry.commands';

import { DatabaseUrl } from './tokens';
import { ServeCommand } from '../server/serve.command';

/** The `ocrecon` command line: thin commands over the application's services. */
@Module({})
export class CliModule {
  static register(options: RuntimeOptions): DynamicModule {
    return {
      module: CliModule,
      imports: [AppModule.register(options)],
      providers: [
        { provide: DatabaseUrl, useValue: options.databaseUrl },
        MigrateCommand,
        CarriersCommand, ...CarriersCommand.registerWithSubCommands(),
        TenantsCommand, ...TenantsCommand.registerWithSubCommands(),
        ProfilesCommand, ...ProfilesCommand.registerWithSubCommands(),
        IngestCommand, IngestErrorsCommand,
        ...MatchingCommands,
        PullCommand, ImportMicrosoftCommand,
        ServeCommand,
        NightlyCommand, RunsCommand,
      ],
    };
  }
}
