export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __OCRECON_PG__?: { stop(): Promise<void> } }).__OCRECON_PG__;
  await server?.stop();
}
