import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../../src/database/embedded-postgres';

// As root the embedded server runs as the `postgres` OS user: a data directory it cannot reach must
// give a message that says exactly which directory and what to do, not a cryptic initdb failure.
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('the embedded PostgreSQL under a directory the postgres user cannot enter', () => {
  const base = mkdtempSync(join(tmpdir(), 'ocrecon-private-'));
  chmodSync(base, 0o755);
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('fails naming the directory and the chmod that fixes it', async () => {
    const home = join(base, 'home');
    mkdirSync(home);
    chmodSync(home, 0o700);
    const error = await startEmbeddedPostgres(join(home, 'project', '.ocrecon')).catch((e) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect(error.message).toContain(`cannot enter ${home}`);
    expect(error.message).toContain(`chmod o+x ${home}`);
    expect(error.message).toContain('DATABASE_URL');
  });
});
