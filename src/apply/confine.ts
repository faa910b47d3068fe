/**
 * Run-time confinement: every component from the install dir down to the target's parent must be a
 * real directory right now (lstat, so a symlinked parent is refused rather than followed). The final
 * component is never followed by any code in src/apply (lstat, O_NOFOLLOW, rename and unlink act on
 * the link itself).
 */
import * as fs from './fs.js';
import { join } from 'node:path';
import { errCode } from './state.js';

export type ParentProblem = 'root-missing' | 'root-not-dir' | 'parent-missing' | 'parent-symlink' | 'parent-not-dir';

export async function parentProblem(root: string, relPath: string): Promise<{ problem: ParentProblem; at: string } | undefined> {
  const segs = relPath.split('/');
  segs.pop();
  let cur = root;
  for (let i = -1; i < segs.length; i++) {
    if (i >= 0) cur = join(cur, segs[i] ?? '');
    let st;
    try {
      st = await fs.lstat(cur);
    } catch (e) {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return { problem: i < 0 ? 'root-missing' : 'parent-missing', at: cur };
      throw e;
    }
    // The install dir itself may sit below a symlinked path (/home -> /var/home); only what is
    // below it must be real directories.
    if (i < 0) {
      if (!(await fs.stat(cur)).isDirectory()) return { problem: 'root-not-dir', at: cur };
      continue;
    }
    if (st.isSymbolicLink()) return { problem: 'parent-symlink', at: cur };
    if (!st.isDirectory()) return { problem: 'parent-not-dir', at: cur };
  }
  return undefined;
}
