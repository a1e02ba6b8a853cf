/**
 * The process's own metrics, under prom-client's default names (prefixed `switchboard_`):
 * CPU, memory, open file descriptors, start time, event-loop delay and the Node.js version.
 * What operators graph and alert on, without prom-client's default collectors (see `prom.ts`).
 *
 * @module
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from './prom';

export function registerProcessMetrics(registry: Registry, prefix = 'switchboard_'): void {
  const registers = [registry];
  const cpu = (name: string, help: string, read: (usage: NodeJS.CpuUsage) => number) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(process.cpuUsage()) / 1e6);
      },
    });
  cpu('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', (u) => u.user);
  cpu('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', (u) => u.system);
  cpu(
    'process_cpu_seconds_total',
    'Total user and system CPU time spent in seconds.',
    (u) => u.user + u.system,
  );

  const gauge = (name: string, help: string, read: () => number | undefined) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        const value = read();
        if (value !== undefined) this.set(value);
      },
    });
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  gauge(
    'nodejs_heap_size_total_bytes',
    'Process heap size from Node.js in bytes.',
    () => process.memoryUsage().heapTotal,
  );
  gauge(
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    () => process.memoryUsage().heapUsed,
  );
  gauge(
    'nodejs_external_memory_bytes',
    'Node.js external memory size in bytes.',
    () => process.memoryUsage().external,
  );
  const started = Math.round(Date.now() / 1000 - process.uptime());
  gauge(
    'process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    () => started,
  );
  gauge('process_open_fds', 'Number of open file descriptors.', () => {
    try {
      return readdirSync('/proc/self/fd').length - 1; // less the one this read opened
    } catch {
      return undefined; // not Linux
    }
  });

  // Event-loop delay since the last scrape, sampled every 10 ms (as prom-client does): the
  // first gauge's collect reads the window into all three and restarts it (gauges are
  // collected in the order they were registered).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const lagGauge = (name: string, help: string, collect?: () => void) =>
    new Gauge({ name: `${prefix}${name}`, help, registers, ...(collect && { collect }) });
  const seconds = (ns: number) => (delay.count > 0 ? ns / 1e9 : 0);
  const lagMean = lagGauge(
    'nodejs_eventloop_lag_mean_seconds',
    'The mean of the recorded event loop delays.',
    () => {
      lagMean.set(seconds(delay.mean));
      lagMax.set(seconds(delay.max));
      lagP99.set(seconds(delay.percentile(99)));
      delay.reset();
    },
  );
  const lagMax = lagGauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.');
  const lagP99 = lagGauge(
    'nodejs_eventloop_lag_p99_seconds',
    'The 99th percentile of the recorded event loop delays.',
  );

  const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number);
  new Gauge({
    name: `${prefix}nodejs_version_info`,
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
  }).set({ version: process.version, major, minor, patch }, 1);
}
