/** @module metrics/proc-parsers — pure parsers for the Linux /proc files the collector reads. */

/** Cumulative jiffies of one CPU line of /proc/stat. */
export interface CpuTimes {
  total: number;
  idle: number;
}

/** Parses /proc/stat: the aggregate `cpu` line and one entry per `cpuN` line. */
export function parseProcStat(text: string): { total: CpuTimes; cores: CpuTimes[] } {
  let total: CpuTimes = { total: 0, idle: 0 };
  const cores: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already part of user).
    let sum = 0;
    for (let i = 1; i <= 8 && i < parts.length; i++) sum += Number(parts[i]) || 0;
    const idle = (Number(parts[4]) || 0) + (Number(parts[5]) || 0);
    const times = { total: sum, idle };
    if (parts[0] === 'cpu') total = times;
    else cores.push(times);
  }
  return { total, cores };
}

/** Busy percentage between two readings of the same CPU, clamped to 0–100. */
export function cpuPercent(prev: CpuTimes | undefined, next: CpuTimes): number {
  if (!prev) return 0;
  const dt = next.total - prev.total;
  if (dt <= 0) return 0;
  return Math.min(100, Math.max(0, (1 - (next.idle - prev.idle) / dt) * 100));
}

/** Parses /proc/meminfo (values in kB) into bytes. */
export function parseMeminfo(text: string): {
  total: number;
  used: number;
  available: number;
  swapTotal: number;
  swapUsed: number;
} {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) kb.set(line.slice(0, colon), parseInt(line.slice(colon + 1), 10) * 1024);
  }
  const total = kb.get('MemTotal') ?? 0;
  const available = kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Cached') ?? 0);
  const swapTotal = kb.get('SwapTotal') ?? 0;
  return {
    total,
    available,
    used: Math.max(0, total - available),
    swapTotal,
    swapUsed: Math.max(0, swapTotal - (kb.get('SwapFree') ?? 0)),
  };
}

/** Parses /proc/loadavg into the 1/5/15 minute load averages. */
export function parseLoadavg(text: string): [number, number, number] {
  const [a, b, c] = text.split(' ');
  return [Number(a) || 0, Number(b) || 0, Number(c) || 0];
}

/** One mounted filesystem from /proc/self/mounts. */
export interface MountEntry {
  device: string;
  mount: string;
  fstype: string;
}

const SKIPPED_FSTYPES = new Set([
  'squashfs',
  'iso9660',
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'fuse.sshfs',
  'autofs',
]);

function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Real filesystems from /proc/self/mounts: block devices (and zfs datasets, and an overlay root in
 * a container), no pseudo or network filesystems, one entry per device (the first mount wins).
 */
export function parseMounts(text: string): MountEntry[] {
  const seen = new Set<string>();
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, rawMount, fstype] = line.split(' ');
    if (!device || !rawMount || !fstype || SKIPPED_FSTYPES.has(fstype)) continue;
    const mount = unescapeMount(rawMount);
    const real = device.startsWith('/dev/') || fstype === 'zfs' || (fstype === 'overlay' && mount === '/');
    if (!real || seen.has(device)) continue;
    seen.add(device);
    out.push({ device, mount, fstype });
  }
  return out;
}

/** Cumulative bytes read and written per device from /proc/diskstats (sectors are 512 bytes). */
export function parseDiskstats(
  text: string,
  include: (name: string) => boolean,
): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const name = parts[2];
    if (!name || !include(name)) continue;
    out.set(name, [(Number(parts[5]) || 0) * 512, (Number(parts[9]) || 0) * 512]);
  }
  return out;
}

/** Cumulative received and transmitted bytes per interface from /proc/net/dev, without `lo`. */
export function parseNetDev(text: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo' || name === '') continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    out.set(name, [Number(fields[0]) || 0, Number(fields[8]) || 0]);
  }
  return out;
}

/** The fields of /proc/<pid>/stat the collector needs. */
export interface PidStat {
  name: string;
  /** utime + stime in clock ticks. */
  ticks: number;
  /** Start time after boot in clock ticks. */
  startTicks: number;
  /** Resident pages. */
  rssPages: number;
}

/** The figures of /proc/<pid>/stat, with the command name as a byte range of the buffer it was read into. */
export interface PidStatFields {
  ticks: number;
  startTicks: number;
  rssPages: number;
  nameStart: number;
  nameEnd: number;
}

/**
 * Parses /proc/<pid>/stat from the bytes it was read into, without building strings: the scan of
 * every process runs each second while someone watches, and only the few processes that make a top
 * list need their name decoded. The command name may contain spaces and parentheses (it ends at the
 * last `)`). Returns false when the text is not a stat line.
 */
export function parsePidStatBytes(buf: Uint8Array, length: number, out: PidStatFields): boolean {
  const open = buf.indexOf(0x28); // (
  let close = length - 1;
  while (close > open && buf[close] !== 0x29) close--; // )
  if (open < 0 || close <= open || open >= length) return false;
  // After ") " come the fields from 3 (state) on: utime=14, stime=15, starttime=22, rss=24.
  let field = 3;
  let value = 0;
  let utime = 0;
  let stime = 0;
  let start = 0;
  for (let i = close + 2; i <= length; i++) {
    const c = i < length ? (buf[i] ?? 0x20) : 0x20;
    if (c === 0x20 || c === 0x0a) {
      if (field === 14) utime = value;
      else if (field === 15) stime = value;
      else if (field === 22) start = value;
      else if (field === 24) {
        out.ticks = utime + stime;
        out.startTicks = start;
        out.rssPages = Math.max(0, value);
        out.nameStart = open + 1;
        out.nameEnd = close;
        return true;
      }
      field++;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
    }
  }
  return false;
}

/** Parses /proc/<pid>/stat text (the same rules as parsePidStatBytes). */
export function parsePidStat(text: string): PidStat | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const out: PidStatFields = { ticks: 0, startTicks: 0, rssPages: 0, nameStart: 0, nameEnd: 0 };
  if (!parsePidStatBytes(bytes, bytes.length, out)) return undefined;
  return {
    name: bytes.toString('utf8', out.nameStart, out.nameEnd),
    ticks: out.ticks,
    startTicks: out.startTicks,
    rssPages: out.rssPages,
  };
}
