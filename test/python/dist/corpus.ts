/**
 * Real installed-distribution metadata already on the machine: the site-packages of every pyenv
 * interpreter (pip, setuptools and whatever else pip installed there). Read-only.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_MINORS, findPython } from '../../helpers/python.js';

export interface SitePackages {
  minor: string;
  dir: string;
  distInfoDirs: string[];
}

/** `<prefix>/lib/pythonX.Y/site-packages` of each interpreter found, with its `.dist-info` dirs. */
export function pyenvSitePackages(): SitePackages[] {
  const out: SitePackages[] = [];
  for (const minor of ALL_MINORS) {
    const py = findPython(minor);
    if (!py) continue;
    const dir = join(py.exe, '..', '..', 'lib', `python${minor}`, 'site-packages');
    if (!existsSync(dir)) continue;
    const distInfoDirs = readdirSync(dir)
      .filter((d) => d.endsWith('.dist-info'))
      .sort();
    out.push({ minor, dir, distInfoDirs });
  }
  return out;
}
