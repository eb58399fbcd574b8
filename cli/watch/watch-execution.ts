import type * as Y from 'yjs';
import { openLiveState, type LiveState } from '../../client/live.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { ApiError, createApi, path, type Api } from '../http.ts';
import { LiveScreen, type ScreenStream } from './live-screen.ts';
import { renderTree } from './render-tree.ts';
import { outcomeEvent, watchEvents } from './watch-events.ts';
import {
  finishedStatuses,
  readDocumentExtras,
  stepOrder as orderOf,
  type Execution,
  type WatchView,
} from './watch-view.ts';

/** Where `watch` writes: a TTY gets the tree, anything else JSON lines. */
export interface WatchOutput extends ScreenStream {
  readonly isTTY?: boolean;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** How to watch one execution. */
export interface WatchOptions {
  /** The Baton server's URL (`http(s)://host`). */
  readonly url: string;
  readonly token: string;
  readonly executionId: string;
  /** JSON lines even on a terminal. */
  readonly json: boolean;
  /** Colours in the tree (not with `--no-color` or NO_COLOR). */
  readonly color: boolean;
  /** Exit 6 (`exitCodes.executionFailed`) when it ends failed or cancelled; else 0 whatever the outcome. */
  readonly exitStatus: boolean;
  readonly out: WatchOutput;
  /** Ends the watch early (Ctrl-C): resolves with 130. */
  readonly signal?: AbortSignal;
  /** The API (tests pass one; default: `createApi(url, token)`). */
  readonly api?: Api;
}

/**
 * The state document's maps whose keys start with an execution id (`<id>`, `<id>:<step>`, `<id>/<step>/<attempt>…`).
 */
const followed = ['executions', 'approvals', 'progress', 'artifacts'] as const;
// Changes come in bursts (a step finishing moves several maps): one re-read for a burst.
const coalesceMs = 150;

/**
 * `baton watch <execution>`: shows the execution and follows it until it finishes. It reads the
 * execution from the API, opens the dashboard's state document read-only (`openLiveState` with the
 * token: not shown as present, no sandbox kept awake) and reads the API again whenever the document
 * changes something of this execution (its entry, approvals, progress, artifacts), and after every
 * reconnection: no polling (the document's own sync every 20 s fetches anything a socket missed). On
 * a terminal the step tree is redrawn in place; otherwise one JSON event per line (`WatchEvent`),
 * ending with the outcome. Resolves with the exit status; refusals and API errors are thrown as
 * `CliError`s.
 */
export async function watchExecution(options: WatchOptions): Promise<number> {
  const api = options.api ?? createApi(options.url, options.token);
  const executionPath = path('/v1/executions/{id}', { id: options.executionId });
  let execution = await api.get<Execution>(executionPath);
  const { recipeName, stepOrder } = await readRecipe(api, execution);
  const printer =
    !options.json && options.out.isTTY === true ? treePrinter(options.out, options.color) : jsonPrinter(options.out);
  let doc: Y.Doc | undefined;
  const view = (): WatchView => ({
    execution,
    recipeName,
    stepOrder,
    ...(doc === undefined ? { approvals: [], progress: [], artifacts: [] } : readDocumentExtras(doc, execution.id)),
  });
  const outcome = () =>
    options.exitStatus && execution.status !== 'succeeded' ? exitCodes.executionFailed : exitCodes.ok;
  try {
    printer.show(view());
    if (finishedStatuses.has(execution.status)) {
      printer.finish(view());
      return outcome();
    }
    if (options.signal?.aborted === true) return exitCodes.interrupted;
    const live = openLiveState({
      origin: options.url.replace(/\/+$/, ''),
      dashboardId: execution.dashboardId,
      token: options.token,
    });
    doc = live.state.document;
    try {
      return await follow(
        live,
        async () => {
          execution = await api.get<Execution>(executionPath);
          printer.show(view());
          if (!finishedStatuses.has(execution.status)) return undefined;
          printer.finish(view());
          return outcome();
        },
        options.executionId,
        options.signal,
      );
    } finally {
      live.destroy();
    }
  } finally {
    printer.close();
  }
}

/** The recipe's name and its version's step order, as far as they can be read (a watch goes on without them). */
async function readRecipe(api: Api, execution: Execution): Promise<{ recipeName: string | null; stepOrder: string[] }> {
  type Version = { version: number; compiled: unknown };
  try {
    const recipe = await api.get<{ name: string; latestVersion: number; latest: Version }>(
      path('/v1/recipes/{id}', { id: execution.recipeId }),
    );
    let compiled = recipe.latestVersion === execution.recipeVersion ? recipe.latest.compiled : undefined;
    if (compiled === undefined) {
      const { versions } = await api.get<{ versions: Version[] }>(
        path('/v1/recipes/{id}/versions', { id: execution.recipeId }),
      );
      compiled = versions.find((v) => v.version === execution.recipeVersion)?.compiled;
    }
    return { recipeName: recipe.name, stepOrder: orderOf(compiled) };
  } catch {
    return { recipeName: null, stepOrder: [] };
  }
}

/**
 * Calls `refresh` (one at a time, coalesced) whenever the document changes something of the
 * execution or syncs again after a reconnection, until it answers an exit status.
 */
function follow(
  live: LiveState,
  refresh: () => Promise<number | undefined>,
  executionId: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const doc = live.state.document;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let again = false;
    let done = false;
    const cleanups: Array<() => void> = [];
    const finish = (result: { code: number } | { error: unknown }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      if ('code' in result) resolve(result.code);
      else reject(result.error);
    };
    const run = async () => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const code = await refresh();
        if (code !== undefined) return finish({ code });
      } catch (error) {
        // Baton away or restarting (unreachable, 5xx, 429): the socket reconnects and its sync calls
        // again. A refusal (4xx) is final, and so is anything else (a bug must not hang the watch).
        const transient =
          error instanceof ApiError ? error.status >= 500 || error.status === 429 : error instanceof CliError;
        if (!transient) return finish({ error });
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        void run();
      }
    };
    const poke = () => {
      if (timer !== undefined || done) return;
      timer = setTimeout(() => {
        timer = undefined;
        void run();
      }, coalesceMs);
    };
    const ours = (key: unknown) => typeof key === 'string' && key.startsWith(executionId);
    for (const name of followed) {
      const map = doc.getMap(name);
      const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
        for (const event of events) {
          const touched = event.target === map ? [...(event as Y.YMapEvent<unknown>).keysChanged] : [event.path[0]];
          if (touched.some(ours)) return poke();
        }
      };
      map.observeDeep(observer);
      cleanups.push(() => map.unobserveDeep(observer));
    }
    // Synced again after a reconnection (or for the first time): the execution may have moved on meanwhile.
    let wasSynced = false;
    cleanups.push(
      live.subscribe(() => {
        const status = live.status();
        if (status.access === 'refused' || status.access === 'revoked') {
          return finish({
            error: new CliError(
              `Cannot follow the execution live: the server ` +
                `${status.access === 'refused' ? 'refused the dashboard' : 'revoked access'}` +
                `${status.reason === undefined ? '' : ` (${status.reason})`}`,
              exitCodes.auth,
            ),
          });
        }
        if (status.synced && !wasSynced) poke();
        wasSynced = status.synced;
      }),
    );
    if (signal !== undefined) {
      const abort = () => finish({ code: exitCodes.interrupted });
      signal.addEventListener('abort', abort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', abort));
    }
  });
}

/** Shows views as they come, then the outcome. */
interface Printer {
  show(view: WatchView): void;
  finish(view: WatchView): void;
  close(): void;
}

/** The tree, redrawn in place (and again on a resize). */
function treePrinter(out: WatchOutput, color: boolean): Printer {
  const screen = new LiveScreen(out);
  // Ctrl-C exits the process at once (cli/main.ts): the cursor is shown again on the way out.
  const restore = () => screen.end();
  process.once('exit', restore);
  let last: WatchView | undefined;
  const draw = (view: WatchView) => screen.draw(renderTree(view, { width: screen.width, color }));
  const resized = () => {
    if (last === undefined) return;
    screen.reset();
    draw(last);
  };
  out.on?.('resize', resized);
  return {
    show(view) {
      last = view;
      draw(view);
    },
    finish(view) {
      last = view;
      draw(view);
    },
    close() {
      out.off?.('resize', resized);
      process.off('exit', restore);
      screen.end();
    },
  };
}

/** JSON lines: the events between one view and the next, then the outcome. */
function jsonPrinter(out: WatchOutput): Printer {
  let last: WatchView | undefined;
  const show = (view: WatchView) => {
    for (const event of watchEvents(last, view)) out.write(`${JSON.stringify(event)}\n`);
    last = view;
  };
  return {
    show,
    finish(view) {
      show(view);
      out.write(`${JSON.stringify(outcomeEvent(view.execution))}\n`);
    },
    close() {},
  };
}
