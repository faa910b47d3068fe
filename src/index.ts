/** stagefix as a library: the pipeline stages and their data. */
export * from './model.js';
export * from './errors.js';
export { analyse, selectProject, type Analysis, type ProjectSelection } from './run.js';
export { loadProject, parseProject, projectFromPartArgs } from './scan/project.js';
export { scan, type ScanResult } from './scan/scan.js';
export { classify, classifyPair } from './classify/classify.js';
export { RULES } from './classify/registry.js';
export { renderText } from './report/text.js';
export { renderJson, jsonDocument } from './report/json.js';
export { plan, renderPlan, planOps, type Plan, type Action, type PlanOptions } from './plan/index.js';
export { applyOps, undo } from './apply/index.js';
export { runHook } from './hook/hook.js';
export { runIntegrity } from './integrity/index.js';
export { inspectFile } from './inspect/inspect.js';
