/** The pyc engine: parse, compare, validate against source, canonicalise. Pure functions over bytes. */
export {
  FINAL_MAGIC,
  PEP552_MAGIC,
  describeVersion,
  magicBytes,
  parseHeader,
  versionOfMagic,
  type HeaderResult,
  type Invalidation,
  type PycHeader,
  type PythonVersion,
} from './header.js';
export {
  MAX_DEPTH,
  codeFields,
  codeObjects,
  codeText,
  formatOfMagic,
  parsePyc,
  readMarshal,
  wtf8ToString,
  stringToWtf8,
  type CodeObject,
  type Layout,
  type MValue,
  type MarshalFormat,
  type ParsedPyc,
} from './marshal.js';
export { dumpValue, sortSets, stableStringify, type Json } from './dump.js';
export { comparePycs, compareTrees, filenamesOf, type CompareOptions, type CompareResult, type Filenames } from './compare.js';
export {
  checkAgainstSource,
  loaderMtime,
  siphash,
  sourceHash,
  type SourceCheck,
  type SourceInfo,
  type StaleReason,
} from './source.js';
export { canonicalizePyc, writeMarshal, type CanonicalizeOptions } from './writer.js';
export { inspectPyc, type PycInspection } from './inspect.js';
