/**
 * The progress display: one ora spinner on stderr naming the phase and its counts. It appears only
 * after the run has taken longer than a moment (fclones' named phases; a fast run prints nothing)
 * and only when the CLI decided it may (see {@link progressEnabled}).
 */
import type { Ora } from 'ora';
import type { ProgressEvent, ProgressSink } from '../model.js';
import { count } from '../report/text.js';

/** A run shorter than this shows no spinner at all. */
export const DEFAULT_DELAY_MS = 300;
/** Text updates closer together than this are coalesced; the scanner may emit thousands per second. */
export const THROTTLE_MS = 100;

/**
 * Whether to show progress: stderr is a terminal, not `--quiet`, not CI (logs would fill with
 * spinner frames), and no machine-readable format is going to stdout (someone is piping it).
 */
export function progressEnabled(o: { isTTY: boolean; quiet: boolean; ci: boolean; stdoutFormat?: string; columns?: number }): boolean {
  // A terminal that reports no width (a pty under `script`, some CI log collectors) breaks ora's
  // line clearing, which divides by the column count and then never finishes: no spinner there.
  const width = o.columns === undefined || o.columns > 0;
  return o.isTTY && width && !o.quiet && !o.ci && (o.stdoutFormat === undefined || o.stdoutFormat === 'text');
}

const of = (e: ProgressEvent): string => (e.total !== undefined ? `${count(e.done)}/${count(e.total)}` : count(e.done));

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;
}

/** One line for an event: "walking 12,345 entries", "comparing 40/120 files, 3.4 MB", ... */
export function formatProgress(e: ProgressEvent): string {
  switch (e.phase) {
    case 'loading':
      return 'loading the project';
    case 'walking':
      return `walking ${of(e)} entries`;
    case 'comparing':
      return `comparing ${of(e)} files${e.bytes !== undefined ? `, ${mb(e.bytes)}` : ''}`;
    case 'classifying':
      return `classifying ${of(e)}`;
    case 'planning':
      return `planning ${of(e)}`;
    case 'applying':
      return `applying ${of(e)}`;
  }
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  enabled: boolean;
  delayMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface Progress {
  sink: ProgressSink;
  /** Removes the spinner (if it ever showed) and ignores later events. */
  stop(): void;
}

/**
 * ora is loaded only when a spinner may show: its dependencies build an `Intl.Segmenter` when loaded,
 * about 25 ms of every start-up (measured on the CLI bundle), which a run in CI or the hook never shows.
 */
export async function createProgress(opts: ProgressOptions): Promise<Progress> {
  // Checked here too, whatever the caller decided: see progressEnabled.
  if (!opts.enabled || !((opts.stream.columns ?? 0) > 0)) return { sink: () => {}, stop: () => {} };
  const { default: ora } = await import('ora');
  const now = opts.now ?? Date.now;
  const delay = opts.delayMs ?? DEFAULT_DELAY_MS;
  const started = now();
  let latest: ProgressEvent | undefined;
  let spinner: Ora | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastRender = 0;
  let stopped = false;

  const show = (): void => {
    timer = undefined;
    if (stopped || latest === undefined) return;
    const text = formatProgress(latest);
    lastRender = now();
    if (spinner === undefined) {
      // isEnabled: the CLI already decided; discardStdin: stagefix never reads stdin, leave it alone.
      spinner = ora({ stream: opts.stream, isEnabled: true, discardStdin: false, text }).start();
    } else {
      spinner.text = text;
    }
  };

  const sink: ProgressSink = (e) => {
    if (stopped) return;
    latest = e;
    if (timer !== undefined) return; // a render is already scheduled and will use `latest`
    const t = now();
    const wait = spinner === undefined ? started + delay - t : lastRender + THROTTLE_MS - t;
    if (wait <= 0) show();
    else {
      timer = setTimeout(show, wait);
      timer.unref();
    }
  };

  return {
    sink,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      spinner?.stop();
    },
  };
}
