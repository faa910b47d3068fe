import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps } from '../../src/apply/apply.js';
import { undo } from '../../src/apply/undo.js';
import { listJournals, newJournalId, readJournal } from '../../src/apply/journal.js';
import { makePlan, makeProject, snapshot, tempDir } from './helpers/tree.js';

let project: string;
let roots: string[];
let stateDir: string;
beforeEach(async () => {
  project = await tempDir('journal');
  ({ roots, stateDir } = await makeProject(project));
});
afterEach(async () => {
  await fsp.rm(project, { recursive: true, force: true });
});

describe('journal', () => {
  it('a torn last line (crash mid-write) is ignored and the journal recovers as incomplete', async () => {
    const before = await snapshot(join(project, 'parts'));
    const res = await applyOps(await makePlan(roots, 8, 3), { stateDir, allowedRoots: roots });
    const file = join(stateDir, 'journals', res.journalId ?? '', 'journal.jsonl');
    // Drop the commit record and leave half of the last done record, as a crash during its write would.
    const lines = (await fsp.readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.pop()).toBe('{"t":"commit"}');
    const last = lines.pop() ?? '';
    await fsp.writeFile(file, [...lines, last.slice(0, 5)].join('\n'));
    const view = await readJournal(stateDir, res.journalId ?? '');
    expect(view.tornTail).toBe(true);
    expect(view.status).toBe('incomplete');
    const u = await undo({ stateDir });
    expect(u.complete).toBe(true);
    expect(await snapshot(join(project, 'parts'))).toEqual(before);
    expect((await readJournal(stateDir, res.journalId ?? '')).status).toBe('rolled-back');
  });

  it('a damaged line before the end is an error, not a guess', async () => {
    const res = await applyOps(await makePlan(roots, 4, 3), { stateDir, allowedRoots: roots });
    const file = join(stateDir, 'journals', res.journalId ?? '', 'journal.jsonl');
    const lines = (await fsp.readFile(file, 'utf8')).split('\n');
    lines[1] = '{"t":"op",';
    await fsp.writeFile(file, lines.join('\n'));
    await expect(undo({ stateDir })).rejects.toThrow(/journal .* is damaged at line 2/);
  });

  it('an empty journal dir (crash before the first record) is closed by the next apply', async () => {
    const id = newJournalId();
    await fsp.mkdir(join(stateDir, 'journals', id), { recursive: true });
    expect((await readJournal(stateDir, id)).status).toBe('incomplete');
    const res = await applyOps(await makePlan(roots, 3, 3), { stateDir, allowedRoots: roots });
    expect(res.recovered.map((r) => [r.journalId, r.complete])).toEqual([[id, true]]);
    expect(await listJournals(stateDir)).toEqual([id, res.journalId].sort());
    expect((await readJournal(stateDir, id)).status).toBe('rolled-back');
  });
});
