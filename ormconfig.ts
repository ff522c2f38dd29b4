// The data source the TypeORM CLI uses (migration:generate, migration:run). DATABASE_URL must be set.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options';

if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set for the TypeORM CLI');
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL));
