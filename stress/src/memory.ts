import { readFileSync, writeFileSync } from 'node:fs';

export const MiB = 1024 * 1024;
export const KiB = 1024;

/** Resident set size of a process, read from /proc (Linux): now, and its peak since the last reset. */
export interface RssReading {
  rss: number;
  peak: number;
}

function statusField(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`/proc status has no ${field}`);
  return Number(match[1]) * KiB;
}

export function readRss(pid: number): RssReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rss: statusField(status, 'VmRSS'), peak: statusField(status, 'VmHWM') };
}

/**
 * Starts a new peak (VmHWM) at the current RSS, so that a measurement is not charged with what the
 * process used before it (start-up, an earlier phase).
 */
export function resetPeakRss(pid: number): void {
  // "5" resets the peak resident set size (proc(5), clear_refs).
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export function formatMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
