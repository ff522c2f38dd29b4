import { CarrierEntity } from '../carriers/carrier.entity';
import { TenantEntity } from '../carriers/tenant.entity';
import { CarrierCdrEntity } from '../carrier-files/carrier-cdr.entity';
import { CarrierFileEntity } from '../carrier-files/carrier-file.entity';
import { CarrierProfileEntity } from '../carrier-files/carrier-profile.entity';
import { IngestErrorEntity } from '../carrier-files/ingest-error.entity';
import { MicrosoftCallRowEntity } from '../microsoft-logs/microsoft-call-row.entity';
import { MicrosoftDialoutAggregateEntity } from '../microsoft-logs/microsoft-dialout-aggregate.entity';
import { MicrosoftRawBatchEntity } from '../microsoft-logs/microsoft-raw-batch.entity';
import { MicrosoftPullEntity } from '../microsoft-logs/microsoft-pull.entity';
import { MicrosoftImportEntity } from '../microsoft-logs/microsoft-import.entity';
import { DailyControlEntity } from '../matching/daily-control.entity';
import { ReconciliationRunEntity } from '../matching/reconciliation-run.entity';
import { DiscrepancyEventEntity } from '../discrepancies/discrepancy-event.entity';
import { DiscrepancyEntity } from '../discrepancies/discrepancy.entity';
import { BatchDayStateEntity } from '../batch/batch-day-state.entity';
import { BatchRunEntity } from '../batch/batch-run.entity';
import { BatchStepEntity } from '../batch/batch-step.entity';

/** Every entity of the application; the migrations must describe exactly these (a test checks). */
export const ENTITIES = [
  CarrierEntity,
  TenantEntity,
  CarrierProfileEntity,
  CarrierFileEntity,
  CarrierCdrEntity,
  IngestErrorEntity,
  MicrosoftCallRowEntity,
  MicrosoftRawBatchEntity,
  MicrosoftPullEntity,
  MicrosoftImportEntity,
  MicrosoftDialoutAggregateEntity,
  ReconciliationRunEntity,
  DailyControlEntity,
  DiscrepancyEntity,
  DiscrepancyEventEntity,
  BatchRunEntity,
  BatchStepEntity,
  BatchDayStateEntity,
];
