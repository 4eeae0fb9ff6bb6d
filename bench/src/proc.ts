import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Per-process accounting from /proc: CPU time (all threads, so GC and libuv threads count), peak
 * resident memory and the process tree (php-fpm's pool is the master's children).
 */

// USER_HZ is 100 on every Linux ABI the bench runs on (getconf CLK_TCK).
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process in microseconds (0 once it is gone). */
export function cpuMicros(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // After the name: state(0) ppid(1) ... utime(11) stime(12).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

export function totalCpuMicros(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'latin1'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export const peakRssKiB = (pids: number[]) => pids.reduce((sum, pid) => sum + statusKiB(pid, 'VmHWM'), 0);
export const rssKiB = (pids: number[]) => pids.reduce((sum, pid) => sum + statusKiB(pid, 'VmRSS'), 0);

/** Resets VmHWM to the current RSS, so the next peak belongs to the next run (Linux ≥ 4.0). */
export function resetPeakRss(pids: number[]): void {
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Not permitted or gone: the peak then covers the process's whole life, which the report says.
    }
  }
}

/** The process and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** Busy (non-idle, non-iowait) time per CPU in microseconds since boot, from /proc/stat. */
export function cpuBusyMicros(): Map<string, number> {
  const busy = new Map<string, number>();
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal: idle and iowait are the only non-busy fields.
    const [user, nice, system, , , irq, softirq, steal] = match[2]!.trim().split(/\s+/).map(Number);
    const ticks = user! + nice! + system! + irq! + softirq! + steal!;
    busy.set(match[1]!, (ticks * 1_000_000) / TICKS_PER_SECOND);
  }
  return busy;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
}
