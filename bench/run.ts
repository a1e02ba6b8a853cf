/**
 * `npm run bench [-- <name> [options]]`: Switchboard's benchmarks, each measured side by
 * side with its peers in one run. Names: `web` (default), `nlu`, `desk`, `knowledge`, `analytics`, `startup`, `all`.
 */
const benches: Record<string, () => { run(argv: string[]): Promise<void> }> = {
  web: () => require('./web'),
  nlu: () => require('./nlu'),
  desk: () => require('./desk'),
  knowledge: () => require('./knowledge'),
  analytics: () => require('./analytics'),
  startup: () => require('./startup'),
};

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  const names = !first || first.startsWith('-') ? ['web'] : first === 'all' ? Object.keys(benches) : [first];
  const args = !first || first.startsWith('-') ? process.argv.slice(2) : rest;
  for (const name of names) {
    const bench = benches[name];
    if (!bench) {
      console.error(`unknown benchmark "${name}"; choose one of: ${Object.keys(benches).join(', ')}, all`);
      process.exitCode = 2;
      return;
    }
    console.log(`\n=== bench: ${name}\n`);
    await bench().run(name === names[0] ? args : []);
  }
}

void main();
