/**
 * The write-ahead journal: one directory per apply under `STATE/journals/<id>/`, holding
 * `journal.jsonl` (one JSON record per line, each fsync'd before the step it announces) and
 * `backup/` (the old inodes, hard-linked or renamed there). Format: docs/apply.md.
 */
import { constants, promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApplyError } from '../errors.js';
import { fsyncDir } from './durable.js';
import type { Shape } from './state.js';
import { errCode } from './state.js';

export const JOURNAL_VERSION = 1;

/** The old state of a target plus what undo needs to bring it back exactly. */
export type OldState = Shape & {
  /** mtime in ns as a decimal string (JSON has no bigint). */
  mtimeNs?: string;
  uid?: number;
  gid?: number;
  /** Backup store file (relative to the journal dir) holding the old inode, when there is one. */
  backup?: string;
};

export type JournalRecord =
  | { t: 'begin'; v: number; id: string; createdAt: string; pid: number; hostname: string }
  | {
      t: 'op';
      n: number;
      kind: 'write' | 'remove' | 'symlink';
      part: string;
      root: string;
      path: string;
      /** Absolute path of the temp file apply may leave beside the target. */
      tmp: string;
      old: OldState;
      new: Shape;
      why: string;
    }
  | { t: 'done'; n: number }
  | { t: 'commit' }
  | { t: 'restored'; n: number; how: 'restored' | 'was-old' | 'forced' }
  | { t: 'end'; how: 'undone' | 'rolled-back' };

export type OpRecord = Extract<JournalRecord, { t: 'op' }>;

export type JournalStatus = 'incomplete' | 'committed' | 'undone' | 'rolled-back';

export interface JournalView {
  id: string;
  dir: string;
  records: JournalRecord[];
  ops: OpRecord[];
  done: Set<number>;
  restored: Set<number>;
  status: JournalStatus;
  /** A torn last line (crash mid-write) was ignored. */
  tornTail: boolean;
}

export const journalsDir = (stateDir: string): string => join(stateDir, 'journals');

/** Sortable, unique: creation time to the millisecond, pid, random suffix. */
export function newJournalId(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${ts}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** An open journal, appending one fsync'd line per record. */
export class Journal {
  private constructor(
    readonly id: string,
    readonly dir: string,
    private readonly fh: fsp.FileHandle,
  ) {}

  static async create(stateDir: string): Promise<Journal> {
    const id = newJournalId();
    const root = journalsDir(stateDir);
    await fsp.mkdir(root, { recursive: true });
    const dir = join(root, id);
    await fsp.mkdir(dir);
    await fsp.mkdir(join(dir, 'backup'));
    const fh = await fsp.open(join(dir, 'journal.jsonl'), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, 0o600);
    const j = new Journal(id, dir, fh);
    await fsyncDir(dir);
    await fsyncDir(root);
    await fsyncDir(stateDir);
    await j.append({ t: 'begin', v: JOURNAL_VERSION, id, createdAt: new Date().toISOString(), pid: process.pid, hostname: hostname() });
    return j;
  }

  static async reopen(view: JournalView): Promise<Journal> {
    const path = join(view.dir, 'journal.jsonl');
    // A torn last line (the record never became durable, so its step never ran) is cut off, so the
    // next record starts on a line of its own and the file stays well-formed.
    const bytes = await fsp.readFile(path).catch(() => Buffer.alloc(0));
    const fh = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) {
      await fh.truncate(bytes.lastIndexOf(0x0a) + 1);
      await fh.sync();
    }
    return new Journal(view.id, view.dir, fh);
  }

  backupPath(n: number): { rel: string; abs: string } {
    const rel = `backup/${String(n).padStart(6, '0')}`;
    return { rel, abs: join(this.dir, rel) };
  }

  /** One write(2) of a whole line, then fsync: the record is durable before the caller acts on it. */
  async append(rec: JournalRecord): Promise<void> {
    await this.fh.write(JSON.stringify(rec) + '\n');
    await this.fh.sync();
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export async function readJournal(stateDir: string, id: string): Promise<JournalView> {
  const dir = join(journalsDir(stateDir), id);
  let text: string;
  try {
    text = await fsp.readFile(join(dir, 'journal.jsonl'), 'utf8');
  } catch (e) {
    if (errCode(e) !== 'ENOENT') throw e;
    // A crash between mkdir and the begin record leaves an empty journal dir: a journal with no ops.
    const isDir = await fsp.stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new ApplyError(`no journal ${id} in ${journalsDir(stateDir)}`, dir);
    text = '';
  }
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  let tornTail = false;
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      // Only the last line can be torn by a crash (each record is one write, fsync'd before the next).
      const last = lines.slice(i + 1).every((l) => l === '');
      if (!last) throw new ApplyError(`journal ${id} is damaged at line ${i + 1}`, join(dir, 'journal.jsonl'));
      tornTail = true;
    }
  });
  const ops = records.filter((r): r is OpRecord => r.t === 'op');
  const done = new Set(records.flatMap((r) => (r.t === 'done' ? [r.n] : [])));
  const restored = new Set(records.flatMap((r) => (r.t === 'restored' ? [r.n] : [])));
  const end = records.find((r) => r.t === 'end');
  const status: JournalStatus =
    end?.t === 'end' ? (end.how === 'undone' ? 'undone' : 'rolled-back') : records.some((r) => r.t === 'commit') ? 'committed' : 'incomplete';
  return { id, dir, records, ops, done, restored, status, tornTail };
}

/** Journal ids, oldest first (ids sort by creation time). */
export async function listJournals(stateDir: string): Promise<string[]> {
  try {
    const names = await fsp.readdir(journalsDir(stateDir));
    return names.filter((n) => /^\d{8}T\d{9}Z-\d+-[0-9a-f]+$/.test(n)).sort();
  } catch (e) {
    if (errCode(e) === 'ENOENT') return [];
    throw e;
  }
}
