/** Fails fast with a clear message when TEST_DATABASE_URL points at a server that is not there. */
export default async function setup() {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    console.log('TEST_DATABASE_URL is not set: integration tests run on PGlite only.');
    return;
  }
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`TEST_DATABASE_URL=${url} is not reachable: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
