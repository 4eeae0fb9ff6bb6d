import { CASES } from './cases';
import { FCGI_HONO_COLUMN, HONO_COLUMN, OURS_COLUMN, OURS_LIGHT_COLUMN } from './columns';
import { type NginxBenchRun, summarize } from './results';

/** The columns the chart shows, in order: the Hono comparison first, then the rest for scale. */
const CHART_COLUMNS: Array<{ id: string; label: string; ours: boolean }> = [
  { id: FCGI_HONO_COLUMN, label: '@fcgi/hono + Hono app', ours: true },
  { id: HONO_COLUMN, label: '@hono/node-server + Hono app', ours: false },
  { id: OURS_COLUMN, label: 'serve(), global Response', ours: true },
  { id: OURS_LIGHT_COLUMN, label: 'serve(), light Response', ours: true },
  { id: 'node-http', label: 'plain node:http', ours: false },
  { id: 'raw-floor', label: 'no-API FastCGI floor', ours: false },
];

const WIDTH = 760;
const LABEL_WIDTH = 210;
const VALUE_WIDTH = 120;
const BAR_HEIGHT = 16;
const ROW_GAP = 4;
const PANEL_GAP = 18;
const HEADER_HEIGHT = 20;
const OURS_COLOR = '#2f6fb0';
const PEER_COLOR = '#9aa0a6';
const TEXT_COLOR = '#202124';

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG bar chart of backend CPU µs per request per case (shorter is better), each bar labelled with
 * its ratio to @hono/node-server: rendered from a run's results for the README, never drawn by hand.
 */
export function renderChart(run: NginxBenchRun): string {
  const caseIds = CASES.map((c) => c.id).filter((id) =>
    run.runs.some((r) => r.variant === 'split' && r.caseId === id),
  );
  const columns = CHART_COLUMNS.filter((c) => run.columns.some((rc) => rc.id === c.id));
  const barArea = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const parts: string[] = [];
  let y = 46;
  for (const caseId of caseIds) {
    const title = CASES.find((c) => c.id === caseId)?.title ?? caseId;
    const values = columns.map((c) => summarize(run, 'split', caseId, c.id).backendUsPerRequest);
    const hono = summarize(run, 'split', caseId, HONO_COLUMN).backendUsPerRequest;
    const max = Math.max(...values.filter((v): v is number => v !== undefined), 1);
    parts.push(`<text x="0" y="${y + 14}" font-weight="bold">${escapeXml(title)}</text>`);
    y += HEADER_HEIGHT + ROW_GAP;
    columns.forEach((column, i) => {
      const value = values[i];
      const width = value === undefined ? 0 : Math.max(1, (value / max) * barArea);
      const color = column.ours ? OURS_COLOR : PEER_COLOR;
      const ratio = value !== undefined && hono ? ` (${(value / hono).toFixed(2)}×)` : '';
      const label = value === undefined ? 'not run' : `${value.toFixed(value < 100 ? 1 : 0)} µs${ratio}`;
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end">${escapeXml(column.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 12}">${escapeXml(label)}</text>`,
      );
      y += BAR_HEIGHT + ROW_GAP;
    });
    y += PANEL_GAP;
  }
  const m = run.machine;
  const subtitle = `Node ${m.node}, ${m.nginx.replace('nginx version: ', '')}, ${m.cpu} (${m.cores} cores); commit ${m.commit}`;
  const height = y + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" fill="${TEXT_COLOR}">`,
    '<title>Backend CPU per request behind nginx, by case and backend</title>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    '<text x="0" y="16" font-size="14" font-weight="bold">Backend CPU per request behind nginx (shorter is better; × @hono/node-server)</text>',
    `<text x="0" y="34" font-size="11">${escapeXml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
