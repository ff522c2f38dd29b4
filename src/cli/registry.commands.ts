import { readFile } from 'node:fs/promises';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CarriersService } from '../carriers/carriers.service';
import { IngestService } from '../carrier-files/ingest.service';
import { invalidInput } from '../common/ocrecon-error';
import { collect, printResult } from './output';

interface CarrierOptions {
  name: string;
  operatorName?: string[];
  durationTolerance?: string;
  chargeTolerance?: string;
  matchWindow?: string;
  callIdWindow?: string;
  json?: boolean;
}

@SubCommand({ name: 'add', arguments: '<carrierId>', description: 'register or update a carrier' })
export class CarriersAddCommand extends CommandRunner {
  constructor(private readonly carriers: CarriersService) {
    super();
  }

  async run([id]: string[], o: CarrierOptions): Promise<void> {
    if (o.name === undefined) throw invalidInput('carriers add: --name is required');
    const c = await this.carriers.addCarrier({
      id, name: o.name, operatorNames: o.operatorName, durationToleranceSeconds: o.durationTolerance,
      chargeTolerance: o.chargeTolerance, matchWindowSeconds: o.matchWindow, callIdWindowSeconds: o.callIdWindow,
    });
    const view = {
      id: c.id, name: c.name, operatorNames: c.operatorNames, durationToleranceSeconds: c.durationToleranceSeconds.toFixed(),
      chargeTolerance: c.chargeTolerance.toFixed(), matchWindowSeconds: c.matchWindowSeconds, callIdWindowSeconds: c.callIdWindowSeconds,
    };
    printResult(view, o.json, () => `carrier ${c.id} (${c.name}), operator names: ${c.operatorNames.join(', ')}`);
  }

  @Option({ flags: '--name <text>', description: 'display name' }) parseName(v: string) { return v; }
  @Option({ flags: '--operator-name <value>', description: 'a Graph operator value of this carrier (repeatable)' }) parseOp(v: string, p?: string[]) { return collect(v, p); }
  @Option({ flags: '--duration-tolerance <seconds>' }) parseDt(v: string) { return v; }
  @Option({ flags: '--charge-tolerance <amount>' }) parseCt(v: string) { return v; }
  @Option({ flags: '--match-window <seconds>' }) parseMw(v: string) { return v; }
  @Option({ flags: '--call-id-window <seconds>' }) parseCw(v: string) { return v; }
  @Option({ flags: '--json', description: 'print the result as JSON' }) parseJson() { return true; }
}

@SubCommand({ name: 'list', description: 'list the registered carriers' })
export class CarriersListCommand extends CommandRunner {
  constructor(private readonly carriers: CarriersService) {
    super();
  }

  async run(_: string[], o: { json?: boolean }): Promise<void> {
    const list = await this.carriers.listCarriers();
    printResult(list.map((c) => ({ id: c.id, name: c.name, operatorNames: c.operatorNames })), o.json, () =>
      list.map((c) => `${c.id}\t${c.name}\t${c.operatorNames.join(', ')}`).join('\n') || '(no carriers)');
  }

  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'carriers', description: 'the carrier registry', subCommands: [CarriersAddCommand, CarriersListCommand] })
export class CarriersCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

@SubCommand({ name: 'add', arguments: '<tenantGuid>', description: 'link a customer tenant to a carrier' })
export class TenantsAddCommand extends CommandRunner {
  constructor(private readonly carriers: CarriersService) {
    super();
  }

  async run([tenantId]: string[], o: { carrier?: string; name?: string; cloud?: string; json?: boolean }): Promise<void> {
    if (!o.carrier) throw invalidInput('tenants add: --carrier is required');
    const t = await this.carriers.addTenant({ tenantId, carrierId: o.carrier, name: o.name, cloud: o.cloud });
    printResult({ tenantId: t.tenantId, carrierId: t.carrierId, name: t.name, cloud: t.cloud }, o.json, () => `tenant ${t.tenantId} (${t.cloud}) linked to carrier ${t.carrierId}`);
  }

  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--name <text>' }) parseName(v: string) { return v; }
  @Option({ flags: '--cloud <cloud>', description: 'global, usgov or dod' }) parseCloud(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'tenants', description: 'customer tenants', subCommands: [TenantsAddCommand] })
export class TenantsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

@SubCommand({ name: 'add', arguments: '<name> <profileJson>', description: 'store a carrier file profile' })
export class ProfilesAddCommand extends CommandRunner {
  constructor(private readonly ingest: IngestService) {
    super();
  }

  async run([name, path]: string[], o: { carrier?: string; json?: boolean }): Promise<void> {
    if (!o.carrier) throw invalidInput('profiles add: --carrier is required');
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw invalidInput(`profile ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const profile = await this.ingest.addProfile(o.carrier, name, doc);
    printResult({ name, carrierId: o.carrier, profile }, o.json, () => `profile ${name} stored for carrier ${o.carrier}`);
  }

  @Option({ flags: '--carrier <carrierId>' }) parseCarrier(v: string) { return v; }
  @Option({ flags: '--json' }) parseJson() { return true; }
}

@Command({ name: 'profiles', description: 'carrier file profiles', subCommands: [ProfilesAddCommand] })
export class ProfilesCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
