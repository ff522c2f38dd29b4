import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { TransactionRunner } from './transaction';

export interface RuntimeOptions {
  config: AppConfig;
  /** The database actually used: DATABASE_URL, or the embedded server's URL. */
  databaseUrl: string;
  /** No connection is made (`ocrecon --help`): the modules are built only to list the commands. */
  offline?: boolean;
}

/** The configuration object and the database, available to every feature module. */
@Global()
@Module({})
export class CoreModule {
  static register(options: RuntimeOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(options.databaseUrl), manualInitialization: options.offline === true })],
      providers: [{ provide: AppConfig, useValue: options.config }, TransactionRunner],
      exports: [AppConfig, TransactionRunner],
    };
  }
}
