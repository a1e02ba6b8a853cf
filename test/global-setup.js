// Probes the real services the suite uses (PostgreSQL, Redis) once, before any test file
// loads, and tells the test files through the environment (jest workers inherit it).
// With CI=true a missing service fails the run; elsewhere its tests skip, visibly.
const net = require('node:net');

const PG_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

async function pgWorks(url) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    return error.message;
  } finally {
    await client.end().catch(() => {});
  }
}

function redisWorks(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(2000, () => done('timeout'));
    socket.on('error', (error) => done(error.message));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) =>
      done(data.toString().startsWith('+PONG') ? true : `unexpected reply ${data}`),
    );
  });
}

module.exports = async () => {
  // The web channel serves the widget bundle (dist/web/widget.js): build it when a source changed.
  require('../scripts/build-widget.cjs').buildWidget({ onlyIfStale: true });
  const problems = [];
  const pg = await pgWorks(PG_URL);
  if (pg === true) process.env.SB_TEST_DATABASE_URL = PG_URL;
  else problems.push(`PostgreSQL at ${PG_URL}: ${pg}`);
  const redis = await redisWorks(REDIS_URL);
  if (redis === true) process.env.SB_TEST_REDIS_URL = REDIS_URL;
  else problems.push(`Redis at ${REDIS_URL}: ${redis}`);
  if (problems.length === 0) return;
  if (process.env.CI === 'true') {
    throw new Error(
      `Services the tests need are down (CI=true, so this fails the run):\n  ${problems.join('\n  ')}`,
    );
  }
  console.warn(`\n⚠ Skipping the tests that need these services:\n  ${problems.join('\n  ')}\n`);
};
