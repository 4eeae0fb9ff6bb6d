import { CASES } from './cases';
import {
  CEILING_COLUMN,
  FCGI_HONO_COLUMN,
  HONO_COLUMN,
  NODE_FASTCGI_COLUMN,
  OURS_COLUMN,
  OURS_LIGHT_COLUMN,
} from './columns';
import {
  type MemoryBenchRun,
  type MicroBenchRun,
  type NginxBenchRun,
  type Summary,
  summarize,
  type Variant,
} from './results';

const fmt = (value: number | undefined, digits = 0) =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
const fmtRatio = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
const mib = (kib: number | undefined) => (kib === undefined ? '–' : (kib / 1024).toFixed(0));

const caseTitle = (id: string) => CASES.find((c) => c.id === id)?.title ?? id;

function caseTable(run: NginxBenchRun, variant: Variant, caseId: string): string {
  const summaries = run.columns.map((c) => ({ label: c.label, s: summarize(run, variant, caseId, c.id) }));
  const hono = summarize(run, variant, caseId, HONO_COLUMN);
  const ceiling = summarize(run, variant, caseId, CEILING_COLUMN);
  const rows = summaries.map(({ label, s }) => {
    const check = run.checks.find((c) => c.column === s.column && c.caseId === caseId);
    if (check && !check.ok)
      return `| ${label} | answer check failed: ${check.detail.replace(/\|/g, '\\|')} ||||||||||`;
    if (s.okRounds === 0 && s.failedRounds === 0) return `| ${label} | not run ||||||||||`;
    if (s.okRounds === 0) return `| ${label} | failed: ${s.failures[0]} ||||||||||`;
    const failed = s.failedRounds > 0 ? ` (${s.failedRounds} failed)` : '';
    return `| ${label} | ${fmt(s.rpsMedian)}${failed} | ${fmt(s.rpsMin)}–${fmt(s.rpsMax)} | ${fmtRatio(
      ratio(s.rpsMedian, hono.rpsMedian),
    )} | ${fmtRatio(ratio(s.rpsMedian, ceiling.rpsMedian))} | ${fmt(s.backendUsPerRequest, 1)} | ${fmtRatio(
      ratio(s.backendUsPerRequest, hono.backendUsPerRequest),
    )} | ${fmt(s.nginxUsPerRequest, 1)} | ${mib(s.peakRssKiB)} | ${fmt((s.latencyP99Us ?? 0) / 1000, 1)} | ${fmt(
      s.foreignCpuPercent,
    )} |`;
  });
  return [
    '| backend | req/s (median) | min–max | × hono | × ceiling | backend µs/req | × hono | nginx µs/req | peak RSS MiB | p99 ms | other load % |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows,
  ].join('\n');
}

interface Goal {
  text: string;
  met: boolean | undefined;
  detail: string;
}

function goals(run: NginxBenchRun, ours: string, memory?: MemoryBenchRun): Goal[] {
  const get = (variant: Variant, caseId: string, column: string): Summary =>
    summarize(run, variant, caseId, column);
  const measuredCases = CASES.filter((c) => get('split', c.id, ours).okRounds > 0).map((c) => c.id);
  const out: Goal[] = [];
  const rpsVsHono = measuredCases.map((id) => ({
    id,
    r: ratio(get('split', id, ours).rpsMedian, get('split', id, HONO_COLUMN).rpsMedian),
  }));
  out.push({
    text: 'requests/s never below @hono/node-server',
    met: rpsVsHono.length ? rpsVsHono.every((x) => x.r !== undefined && x.r >= 1) : undefined,
    detail: rpsVsHono.map((x) => `${x.id} ${fmtRatio(x.r)}`).join(', '),
  });
  const cpuGoal = (ids: string[], limit: number) => {
    const values = ids
      .filter((id) => measuredCases.includes(id))
      .map((id) => ({
        id,
        r: ratio(
          get('split', id, ours).backendUsPerRequest,
          get('split', id, HONO_COLUMN).backendUsPerRequest,
        ),
      }));
    out.push({
      text: `backend CPU/request ≤ ${limit}× @hono/node-server on ${ids.join(', ')}`,
      met: values.length ? values.every((x) => x.r !== undefined && x.r <= limit) : undefined,
      detail: values.map((x) => `${x.id} ${fmtRatio(x.r)}`).join(', '),
    });
  };
  cpuGoal(['hello', 'echo-1k'], 0.7);
  cpuGoal(['echo-64k', 'bytes-1m'], 0.8);
  const floor = get('split', 'hello', 'raw-floor').backendUsPerRequest;
  const oursHello = get('split', 'hello', ours).backendUsPerRequest;
  out.push({
    text: 'GET /hello CPU/request within ~10% of the no-API floor',
    met: floor !== undefined && oursHello !== undefined ? oursHello <= floor * 1.1 : undefined,
    detail: `${fmt(oursHello, 1)} µs vs floor ${fmt(floor, 1)} µs (${fmtRatio(ratio(oursHello, floor))})`,
  });
  const shared = ratio(get('shared', 'hello', ours).rpsMedian, get('shared', 'hello', HONO_COLUMN).rpsMedian);
  out.push({
    text: 'shared core (nginx + backend on one core), GET /hello: ≥ 1.2× @hono/node-server',
    met: shared === undefined ? undefined : shared >= 1.2,
    detail: fmtRatio(shared),
  });
  const vsNodeFastcgi = measuredCases.map((id) => ({
    id,
    r: ratio(get('split', id, ours).rpsMedian, get('split', id, NODE_FASTCGI_COLUMN).rpsMedian),
  }));
  out.push({
    text: '≥ 5× npm node-fastcgi requests/s everywhere',
    met: vsNodeFastcgi.length ? vsNodeFastcgi.every((x) => x.r !== undefined && x.r >= 5) : undefined,
    detail: vsNodeFastcgi.map((x) => `${x.id} ${fmtRatio(x.r)}`).join(', '),
  });
  out.push({
    text: '10,000 idle keep-alive FastCGI connections < 200 MiB RSS',
    met: memory ? memory.rssAfterKiB / 1024 < 200 : undefined,
    detail: memory
      ? `${mib(memory.rssAfterKiB)} MiB with ${memory.openConnections} open (${mib(memory.rssBeforeKiB)} MiB before, ~${fmt(memory.perConnectionBytes / 1024, 1)} KiB per connection)`
      : 'not measured in this run',
  });
  return out;
}

// The FastCGI columns nginx's own cost is compared for: the proxy_pass one is @hono/node-server.
const FASTCGI_KEEPCONN_COLUMNS = [FCGI_HONO_COLUMN, OURS_COLUMN, OURS_LIGHT_COLUMN];

/** Issue 15: the same Hono app through @fcgi/hono (defaults) against @hono/node-server, on one run. */
function honoGoals(run: NginxBenchRun): Goal[] {
  const get = (variant: Variant, caseId: string, column: string): Summary =>
    summarize(run, variant, caseId, column);
  const measured = (column: string) =>
    CASES.filter(
      (c) => get('split', c.id, column).okRounds > 0 && get('split', c.id, HONO_COLUMN).okRounds > 0,
    ).map((c) => c.id);
  const versus = (
    column: string,
    ids: string[],
    pick: (s: Summary) => number | undefined,
    text: string,
    ok: (r: number) => boolean,
  ): Goal => {
    const values = ids
      .filter((id) => measured(column).includes(id))
      .map((id) => ({ id, r: ratio(pick(get('split', id, column)), pick(get('split', id, HONO_COLUMN))) }));
    return {
      text,
      met: values.length ? values.every((x) => x.r !== undefined && ok(x.r)) : undefined,
      detail: values.map((x) => `${x.id} ${fmtRatio(x.r)}`).join(', '),
    };
  };
  const all = CASES.map((c) => c.id);
  const cpu = (s: Summary) => s.backendUsPerRequest;
  const out: Goal[] = [
    versus(
      FCGI_HONO_COLUMN,
      all,
      (s) => s.rpsMedian,
      '@fcgi/hono: req/s ≥ 1.1× on every case',
      (r) => r >= 1.1,
    ),
    versus(
      FCGI_HONO_COLUMN,
      ['hello', 'echo-1k'],
      cpu,
      '@fcgi/hono: backend CPU ≤ 0.8× on hello, 1 KiB',
      (r) => r <= 0.8,
    ),
    versus(
      FCGI_HONO_COLUMN,
      ['echo-64k', 'bytes-1m'],
      cpu,
      '@fcgi/hono: backend CPU ≤ 0.9× on 64 KiB, 1 MiB',
      (r) => r <= 0.9,
    ),
    versus(
      FCGI_HONO_COLUMN,
      all,
      (s) => s.latencyP99Us,
      '@fcgi/hono: p99 ≤ hono’s on every case',
      (r) => r <= 1,
    ),
    versus(
      FCGI_HONO_COLUMN,
      all,
      (s) => s.peakRssKiB,
      '@fcgi/hono: peak RSS ≤ hono’s on every case',
      (r) => r <= 1,
    ),
  ];
  const shared = ratio(
    get('shared', 'hello', FCGI_HONO_COLUMN).rpsMedian,
    get('shared', 'hello', HONO_COLUMN).rpsMedian,
  );
  out.push({
    text: '@fcgi/hono, nginx + backend on one core, GET /hello: req/s ≥ 1.2×',
    met: shared === undefined ? undefined : shared >= 1.2,
    detail: fmtRatio(shared),
  });
  out.push(
    versus(
      OURS_COLUMN,
      all,
      cpu,
      'serve() + global Response: backend CPU ≤ 1.0× on every case',
      (r) => r <= 1,
    ),
  );
  out.push(
    versus(
      OURS_LIGHT_COLUMN,
      ['hello', 'echo-1k'],
      cpu,
      'opt-in light Response: backend CPU ≤ 0.7× on hello, 1 KiB',
      (r) => r <= 0.7,
    ),
  );
  const proxied = get('split', 'bytes-1m', HONO_COLUMN).nginxUsPerRequest;
  const overFastcgi = FASTCGI_KEEPCONN_COLUMNS.map((id) => ({
    id,
    r: ratio(get('split', 'bytes-1m', id).nginxUsPerRequest, proxied),
  })).filter((x) => x.r !== undefined);
  out.push({
    text: 'nginx CPU per 1 MiB request over FastCGI ≤ over proxy_pass',
    met: overFastcgi.length ? overFastcgi.every((x) => (x.r ?? 2) <= 1) : undefined,
    detail: overFastcgi.map((x) => `${x.id} ${fmtRatio(x.r)}`).join(', '),
  });
  return out;
}

export function renderResults(
  run: NginxBenchRun,
  micro: MicroBenchRun | undefined,
  memory: MemoryBenchRun | undefined,
  rawFiles: string[],
  findings?: string,
): string {
  const m = run.machine;
  const lines: string[] = [];
  lines.push(`# Benchmark results (Node ${m.node})`, '');
  lines.push(
    `Generated by \`pnpm bench\` (bench/src/run.ts) on ${run.finishedAt.slice(0, 10)}, commit \`${m.commit}\`. ` +
      'Method and column meanings: [README.md](./README.md). Raw runs: ' +
      rawFiles.map((f) => `[${f}](./results/${f})`).join(', ') +
      '.',
    '',
  );
  lines.push('## Machine and versions', '');
  lines.push(`- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}`);
  lines.push(`- Node ${m.node} for every Node backend (\`BENCH_NODE\`); ${m.nginx}; ${m.wrk}; ${m.phpFpm}`);
  lines.push(
    `- ${Object.entries(m.packages)
      .map(([n, v]) => `${n} ${v}`)
      .join(', ')}`,
  );
  lines.push(
    `- Pinning: nginx + wrk on core ${run.cores.front}, backend on core ${run.cores.backend}` +
      ` (shared-core variant: nginx + backend on core ${run.cores.backend}, wrk on core ${run.cores.front})`,
  );
  lines.push(
    `- wrk: 1 thread, ${run.settings.connections} connections; ${run.settings.rounds} interleaved rounds of ` +
      `${run.settings.seconds} s per case and backend after a ${run.settings.warmupSeconds} s warm-up` +
      (run.settings.quick ? ' (BENCH_QUICK smoke run: not a measurement)' : ''),
  );
  lines.push(
    `- Load average (1/5/15 min) ${run.loadAverage.before} at the start, ${run.loadAverage.after} at the end; ` +
      '"other load %" is the CPU share of the backend core taken by processes outside the benchmark during each run (median).',
  );
  for (const note of run.notes) lines.push(`- ${note}`);
  lines.push('');

  const verdict = (g: Goal) => (g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**');
  lines.push('## Goals (issue 15): the same Hono app, `@fcgi/hono` against `@hono/node-server`', '');
  lines.push(
    '`fcgi-hono` is `serve(app)` from `@fcgi/hono` with its defaults, serving the very Hono app the',
    '`@hono/node-server` column serves, unmodified. Ratios are ours ÷ `@hono/node-server` in this run.',
    '',
    '| goal | met | measured |',
    '|---|---|---|',
  );
  for (const g of honoGoals(run)) lines.push(`| ${g.text} | ${verdict(g)} | ${g.detail} |`);
  lines.push('', '![Backend CPU per request](./chart.svg)', '');

  lines.push('## Goals (issue 7)', '');
  const plain = goals(run, OURS_COLUMN, memory);
  const light = goals(run, OURS_LIGHT_COLUMN, memory);
  lines.push(
    'Measured for `ours-keepconn` (the handler answers with the global Response) and `ours-light` (the same',
    "handler with `import { Response } from '@fcgi/responder'`, the opt-in light Response).",
    '',
    '| goal | global Response | measured | light Response | measured |',
    '|---|---|---|---|---|',
  );
  plain.forEach((g, i) => {
    const l = light[i]!;
    lines.push(`| ${g.text} | ${verdict(g)} | ${g.detail} | ${verdict(l)} | ${l.detail} |`);
  });
  lines.push('');

  lines.push('## nginx + wrk on one core, backend on the other', '');
  const caseIds = [...new Set(run.runs.filter((r) => r.variant === 'split').map((r) => r.caseId))];
  for (const id of caseIds) lines.push(`### ${caseTitle(id)}`, '', caseTable(run, 'split', id), '');
  if (run.runs.some((r) => r.variant === 'shared')) {
    lines.push('## nginx and backend sharing one core, wrk on the other', '');
    lines.push(`### ${caseTitle('hello')}`, '', caseTable(run, 'shared', 'hello'), '');
  }
  const failedChecks = run.checks.filter((c) => !c.ok);
  if (failedChecks.length > 0) {
    lines.push('## Answer checks that failed (those cases were not timed)', '');
    for (const c of failedChecks) lines.push(`- ${c.column} ${caseTitle(c.caseId)}: ${c.detail}`);
    lines.push('');
  }

  if (micro) {
    lines.push('## Direct micro-benchmark (no nginx)', '');
    lines.push(
      `${micro.client} → @fcgi/responder over a unix socket, ${micro.connections} keep-alive connections, ` +
        `${micro.seconds} s per case; client on core ${run.cores.front}, responder on core ${run.cores.backend}.`,
      '',
    );
    lines.push('| case | req/s | responder µs/req | client µs/req | errors |', '|---|--:|--:|--:|--:|');
    for (const r of micro.rounds) {
      lines.push(
        `| ${caseTitle(r.caseId)} | ${fmt(r.requestsPerSecond)} | ${fmt(r.responderUsPerRequest, 1)} | ${fmt(
          r.clientUsPerRequest,
          1,
        )} | ${r.errors} |`,
      );
    }
    lines.push('');
  }
  if (memory) {
    lines.push('## Idle keep-alive connections', '');
    lines.push(
      `${fmt(memory.openConnections)} of ${fmt(memory.connections)} FastCGI connections opened, each served one ` +
        `GET /hello with FCGI_KEEP_CONN and left idle: responder RSS ${mib(memory.rssBeforeKiB)} MiB before, ` +
        `${mib(memory.rssAfterKiB)} MiB after (peak ${mib(memory.peakRssKiB)} MiB), ` +
        `≈ ${fmt(memory.perConnectionBytes / 1024, 1)} KiB per connection.`,
      '',
    );
  }
  if (findings) lines.push(findings.trim(), '');
  return `${lines.join('\n')}\n`;
}
