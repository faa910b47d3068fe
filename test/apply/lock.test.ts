import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyOps, type ApplyEvent } from '../../src/apply/apply.js';
import { acquireLock } from '../../src/apply/lock.js';
import { makePlan, makeProject, snapshot, tempDir } from './helpers/tree.js';

let project: string;
let roots: string[];
let stateDir: string;
beforeEach(async () => {
  project = await tempDir('lock');
  ({ roots, stateDir } = await makeProject(project));
  await fsp.mkdir(stateDir, { recursive: true });
});
afterEach(async () => {
  await fsp.rm(project, { recursive: true, force: true });
});

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

describe('lock', () => {
  it('refuses a second concurrent apply, naming the holder; the first one completes', async () => {
    const ops = await makePlan(roots, 20, 1);
    const [a, b] = await Promise.allSettled([applyOps(ops, { stateDir, allowedRoots: roots }), applyOps(ops, { stateDir, allowedRoots: roots })]);
    const results = [a, b];
    const refused = results.filter((r) => r.status === 'rejected');
    const done = results.filter((r) => r.status === 'fulfilled');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(new RegExp(`ApplyError: another stagefix holds .*lock \\(pid ${process.pid} on ${hostname()}, apply since`));
    expect((done[0] as PromiseFulfilledResult<{ applied: unknown[] }>).value.applied).toHaveLength(20);
    await expect(fsp.access(join(stateDir, 'lock'))).rejects.toThrow(/ENOENT/);
  });

  it('takes over a stale lock left by a dead process on this host, and says so', async () => {
    const pid = deadPid();
    const stale = { pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z', command: 'apply' };
    await fsp.writeFile(join(stateDir, 'lock'), JSON.stringify(stale) + '\n');
    const events: ApplyEvent[] = [];
    const res = await applyOps(await makePlan(roots, 3, 2), { stateDir, allowedRoots: roots, onEvent: (e) => events.push(e) });
    expect(res.applied).toHaveLength(3);
    expect(events.filter((e) => e.type === 'lock-taken-over')).toEqual([{ type: 'lock-taken-over', holder: stale }]);
    expect(await fsp.readdir(stateDir)).toEqual(['journals']);
  });

  it('never takes over a lock from another host, nor a damaged one', async () => {
    const before = await snapshot(join(project, 'parts'));
    await fsp.writeFile(join(stateDir, 'lock'), JSON.stringify({ pid: deadPid(), hostname: 'elsewhere', startedAt: 'x', command: 'apply' }));
    await expect(applyOps(await makePlan(roots, 3, 2), { stateDir, allowedRoots: roots })).rejects.toThrow(/taken on another host/);
    await fsp.writeFile(join(stateDir, 'lock'), '');
    await expect(acquireLock(stateDir, 'undo')).rejects.toThrow(/damaged/);
    expect(await snapshot(join(project, 'parts'))).toEqual(before);
  });
});
