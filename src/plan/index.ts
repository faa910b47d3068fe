/** The planner's public surface: plan an analysis, render it, list its ops. */
export { plan, defaultRuntimePrefix } from './plan.js';
export { PLAN_FORMATS, renderPlan, renderPlanJson, renderPlanSh, renderPlanText, renderPlanYaml, type PlanFormat } from './render.js';
export { isProposal, planOps, type Action, type ActionKind, type Loser, type Plan, type PlanInterpreter, type PlanOptions, type Precondition, type PycStrategy, type Why } from './types.js';
export { canonicalPyc, checkRuntimePrefix, normaliseVenvText, pycSource, regenerateRecordText, runtimePath } from './canonical.js';
export { chooseInterpreters, compileCheckedHash, optimizationOf, probeInterpreter, type CompileJob, type Compiled, type Interpreter } from './recompile.js';
