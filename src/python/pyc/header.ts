/**
 * The pyc header: magic, flags and the source stamp (mtime/size or hash). Facts from
 * /work/shared/docs/pyc-format.md §1–§2; the tables below are data, not code paths.
 */

export type Invalidation = 'timestamp' | 'unchecked-hash' | 'checked-hash';

/** Final-release magic per minor version (§2.1). */
export const FINAL_MAGIC: Readonly<Record<string, number>> = {
  '3.6': 3379,
  '3.7': 3394,
  '3.8': 3413,
  '3.9': 3425,
  '3.10': 3439,
  '3.11': 3495,
  '3.12': 3531,
  '3.13': 3571,
  '3.14': 3627,
};

/**
 * Pre-release label groups (§2.3, pyc-data/magic_table.txt): [label, first, last]. The label is the
 * pre-release in which a number first shipped; the last entry of each minor is its final magic.
 */
const LABELS: readonly (readonly [string, number, number])[] = [
  ['3.6a0', 3360, 3360], ['3.6a1', 3361, 3361], ['3.6a2', 3370, 3372], ['3.6b1', 3373, 3377],
  ['3.6b2', 3378, 3378], ['3.6rc1', 3379, 3379],
  ['3.7a1', 3390, 3390], ['3.7a2', 3391, 3391], ['3.7a4', 3392, 3392], ['3.7b1', 3393, 3393],
  ['3.7b5', 3394, 3394],
  ['3.8a1', 3400, 3401], ['3.8a1', 3410, 3410], ['3.8b2', 3411, 3412], ['3.8b4', 3413, 3413],
  ['3.9a0', 3420, 3422], ['3.9a2', 3423, 3425],
  ['3.10a1', 3430, 3431], ['3.10a2', 3432, 3433], ['3.10a6', 3434, 3434], ['3.10a7', 3435, 3435],
  ['3.10b1', 3436, 3439],
  ['3.11a1', 3450, 3461], ['3.11a2', 3462, 3462], ['3.11a3', 3463, 3465], ['3.11a4', 3466, 3474],
  ['3.11a5', 3475, 3485], ['3.11a6', 3486, 3491], ['3.11a7', 3492, 3494], ['3.11b4', 3495, 3495],
  ['3.12a1', 3500, 3509], ['3.12a2', 3510, 3512], ['3.12a4', 3513, 3514], ['3.12a5', 3515, 3517],
  ['3.12a6', 3518, 3520], ['3.12a7', 3521, 3524], ['3.12b1', 3525, 3531],
  ['3.13a1', 3550, 3568], ['3.13a5', 3569, 3569], ['3.13a6', 3570, 3570], ['3.13b1', 3571, 3571],
  ['3.14a1', 3600, 3608], ['3.14a2', 3609, 3609], ['3.14a4', 3610, 3613], ['3.14a5', 3614, 3616],
  ['3.14a6', 3617, 3620], ['3.14a7', 3621, 3623], ['3.14b1', 3624, 3624], ['3.14b3', 3625, 3625],
  ['3.14rc2', 3626, 3626], ['3.14rc3', 3627, 3627],
];

export type PythonVersion =
  | {
      known: true;
      /** e.g. "3.11" */
      minor: string;
      /** "3.11" for the final magic, else the pre-release label such as "3.11a3". */
      label: string;
      /** True when the magic is the one every final 3.X.y release writes. */
      final: boolean;
    }
  | { known: false; magic: number };

/**
 * Answers by magic, made once each: every pyc header parsed asks (the integrity rules parse every
 * staged pyc's, 6.9k on the copies bench tree and up to 35k on the mixed one), and the table scan with
 * a regex per label showed in warm runs' profiles. Frozen, since callers share them. At most 65,536
 * magics exist (two bytes).
 */
const VERSIONS = new Map<number, PythonVersion>();

/** The interpreter that writes `magic`, from the tables only; an unknown number is never guessed. */
export function versionOfMagic(magic: number): PythonVersion {
  let v = VERSIONS.get(magic);
  if (!v) VERSIONS.set(magic, (v = Object.freeze(lookupVersion(magic))));
  return v;
}

function lookupVersion(magic: number): PythonVersion {
  for (const [label, first, last] of LABELS) {
    if (magic < first || magic > last) continue;
    const minor = /^3\.\d+/.exec(label)?.[0] ?? label;
    const final = FINAL_MAGIC[minor] === magic;
    return { known: true, minor, label: final ? minor : label, final };
  }
  return { known: false, magic };
}

/** 3.7a4 (PEP 552) introduced the 16-byte header with a flags word. */
export const PEP552_MAGIC = 3392;

export type PycHeader = {
  magic: number;
  version: PythonVersion;
  /** 12 (3.6, 3.7a1–a2) or 16. The marshal body starts here. */
  size: 12 | 16;
  /** Raw flags word; 0 for 12-byte headers. */
  flags: number;
  invalidation: Invalidation;
} & (
  | { invalidation: 'timestamp'; mtime: number; sourceSize: number }
  | { invalidation: 'unchecked-hash' | 'checked-hash'; hash: Uint8Array }
);

export type HeaderResult =
  | { ok: true; header: PycHeader }
  | { ok: false; reason: 'truncated' | 'bad-magic-tail' | 'unknown-magic' | 'invalid-flags'; magic?: number; flags?: number };

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;

/**
 * Parse a header. Unknown magics are an explicit result, so callers never apply a layout to bytes whose
 * version they cannot name. Flags with bits outside 0b11 are what importlib rejects ("invalid flags");
 * flags 2 is accepted by importlib as timestamp-based (§1.2).
 */
export function parseHeader(buf: Uint8Array): HeaderResult {
  if (buf.length < 4) return { ok: false, reason: 'truncated' };
  if (buf[2] !== 0x0d || buf[3] !== 0x0a) return { ok: false, reason: 'bad-magic-tail' };
  const magic = (buf[0] ?? 0) | ((buf[1] ?? 0) << 8);
  const version = versionOfMagic(magic);
  if (!version.known) return { ok: false, reason: 'unknown-magic', magic };
  if (magic < PEP552_MAGIC) {
    if (buf.length < 12) return { ok: false, reason: 'truncated', magic };
    return {
      ok: true,
      header: { magic, version, size: 12, flags: 0, invalidation: 'timestamp', mtime: u32(buf, 4), sourceSize: u32(buf, 8) },
    };
  }
  if (buf.length < 16) return { ok: false, reason: 'truncated', magic };
  const flags = u32(buf, 4);
  if ((flags & ~0b11) !== 0) return { ok: false, reason: 'invalid-flags', magic, flags };
  if ((flags & 1) === 0) {
    return {
      ok: true,
      header: { magic, version, size: 16, flags, invalidation: 'timestamp', mtime: u32(buf, 8), sourceSize: u32(buf, 12) },
    };
  }
  return {
    ok: true,
    header: {
      magic,
      version,
      size: 16,
      flags,
      invalidation: flags & 2 ? 'checked-hash' : 'unchecked-hash',
      hash: buf.slice(8, 16),
    },
  };
}

/** The 4 magic bytes: u16 LE then \r\n. */
export function magicBytes(magic: number): Uint8Array {
  return Uint8Array.of(magic & 0xff, (magic >> 8) & 0xff, 0x0d, 0x0a);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Human text for a version result: "3.11", "3.11a3 (pre-release)", "unknown magic 1234". */
export function describeVersion(v: PythonVersion): string {
  if (!v.known) return `unknown magic ${v.magic}`;
  return v.final ? v.minor : `${v.label} (pre-release)`;
}
