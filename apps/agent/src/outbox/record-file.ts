/**
 * @module outbox/record-file — the agent's on-disk record format: `[u32 length][u32 crc32][payload]`
 * (little-endian), appended to plain files. A record whose header or checksum does not match (a write
 * torn by a crash or a full disk) ends the file: it and everything after it are dropped on load.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';

const HEADER_BYTES = 8;
/** Records larger than this are refused (a sample or a result is far smaller). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib and gzip compute it). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Frames one payload as a record. */
export function encodeRecord(payload: Buffer): Buffer {
  if (payload.length > MAX_RECORD_BYTES)
    throw new RangeError(`record of ${payload.length} bytes is too large`);
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

/** A record found in a file: its payload and where it starts (the header's offset). */
export interface StoredRecord {
  offset: number;
  payload: Buffer;
}

/** The valid records of a file's contents, and the length of the valid prefix (the rest is torn). */
export function decodeRecords(data: Buffer): { records: StoredRecord[]; validBytes: number } {
  const records: StoredRecord[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES || end > data.length) break;
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    records.push({ offset, payload });
    offset = end;
  }
  return { records, validBytes: offset };
}

/** Size in bytes a record of `payloadBytes` takes on disk. */
export function recordSize(payloadBytes: number): number {
  return HEADER_BYTES + payloadBytes;
}

/**
 * Reads a record file, truncating a torn tail in place. Returns the valid records and how many bytes
 * were dropped; a missing file reads as empty.
 */
export function loadRecordFile(file: string): {
  records: StoredRecord[];
  size: number;
  droppedBytes: number;
} {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], size: 0, droppedBytes: 0 };
    throw error;
  }
  const { records, validBytes } = decodeRecords(data);
  const droppedBytes = data.length - validBytes;
  if (droppedBytes > 0) {
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, validBytes);
    } finally {
      closeSync(fd);
    }
  }
  return { records, size: validBytes, droppedBytes };
}

/**
 * An open file records are appended to. A failed append (ENOSPC, EIO) is rolled back by truncating
 * to the previous length; if even that fails the file is marked broken and must not be appended to
 * again (its torn tail is dropped on the next load, so nothing after it may follow).
 */
export class RecordAppender {
  readonly file: string;
  private fd: number;
  private length: number;
  private brokenTail = false;

  constructor(file: string, length: number) {
    this.file = file;
    this.fd = openSync(file, 'a', 0o600);
    this.length = length;
  }

  /** Bytes in the file (valid records only). */
  get size(): number {
    return this.length;
  }

  /** True after a failed append could not be rolled back. */
  get broken(): boolean {
    return this.brokenTail;
  }

  /** Appends one record; returns its offset. `sync` also fsyncs it. Throws the write error after a rollback. */
  append(payload: Buffer, sync = false): number {
    if (this.brokenTail) throw new Error(`${this.file} has a torn tail`);
    const record = encodeRecord(payload);
    const offset = this.length;
    try {
      let written = 0;
      while (written < record.length) {
        const n = writeSync(this.fd, record, written, record.length - written);
        if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        written += n;
      }
      if (sync) fsyncSync(this.fd);
    } catch (error) {
      try {
        ftruncateSync(this.fd, offset);
      } catch {
        this.brokenTail = true;
      }
      throw error;
    }
    this.length += record.length;
    return offset;
  }

  /** Flushes the file to the disk (fsync). */
  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Writes a whole file atomically: tmp file, fsync, rename. */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Creates a directory (0700) and its parents. */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** True for the errors a full or failing disk raises (the agent degrades instead of stopping). */
export function isStorageError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'EIO' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EFBIG'
  );
}
