import { Controller, Get, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ObservabilityRepository } from './observability.repository';

/** `migrations: up` when every migration of this build is applied (else run `ocrecon migrate`). */
@Injectable()
export class MigrationsHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService, private readonly repository: ObservabilityRepository) {}

  async isCurrent(key = 'migrations') {
    const session = this.indicators.check(key);
    try {
      return (await this.repository.pendingMigrations())
        ? session.down({ message: 'migrations are pending: run `ocrecon migrate`' })
        : session.up();
    } catch (error) {
      return session.down({ message: `cannot read the applied migrations: ${(error as Error).message}` });
    }
  }
}

/** 200 when the database answers and its schema is current, 503 otherwise (terminus' JSON either way). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly migrations: MigrationsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.db.pingCheck('database', { timeout: 3000 }), () => this.migrations.isCurrent()]);
  }
}
