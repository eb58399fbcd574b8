import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** One problem the server reported (a 400's issue): the recipe's path (`steps.1.prompt`) and what is wrong. */
export interface ServerIssue {
  readonly path: string;
  readonly message: string;
}

/** A problem placed in the text: where to underline it and the line (1-based) it starts on. */
export interface PlacedProblem {
  /** The path as the server named it (`steps.1.prompt`), or `yaml` for a syntax error. */
  readonly path: string;
  readonly message: string;
  readonly from: number;
  readonly to: number;
  readonly line: number;
  /** `server`: from the last save's 400; `syntax`: the YAML parser here, as typed. */
  readonly origin: 'server' | 'syntax';
  /** False when the path's own node is missing and the problem sits on its nearest existing parent. */
  readonly exact: boolean;
}

type Range = readonly [number, number, number];
interface Located {
  readonly range: Range | null | undefined;
  readonly exact: boolean;
}

/** The server's `does not parse: … at line 4, column 1:` (the yaml package's message), as a position. */
const linePattern = /at line (\d+), column (\d+)/;

/**
 * Places the server's issues and the parser's syntax errors in `text`: an issue's path is walked
 * through the parsed document (map keys by name, sequence items by index); a path whose node does
 * not exist falls back to its nearest existing parent (a missing `prompt` shows on its step), and a
 * syntax error sits at its line. A collection is underlined on its first line only, so a problem
 * with a whole step does not paint the step.
 */
export function placeProblems(text: string, issues: readonly ServerIssue[]): PlacedProblem[] {
  const lines = lineStarts(text);
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const problems: PlacedProblem[] = [];
  const syntaxLines = new Set<number>();
  for (const error of document.errors) {
    const [from, to] = error.pos;
    const line = lineOf(lines, from);
    syntaxLines.add(line);
    problems.push({
      path: 'yaml',
      message: firstLine(error.message),
      ...span(text, lines, from, Math.max(to, from)),
      line,
      origin: 'syntax',
      exact: true,
    });
  }
  for (const issue of issues) {
    if (issue.path === 'yaml' || issue.path === 'recipe') {
      const at = linePattern.exec(issue.message);
      const line = at === null ? 1 : Math.min(Number(at[1]), lines.length);
      // The parser here already shows this error at this line (the text has not changed since).
      if (at !== null && syntaxLines.has(line)) continue;
      const from = (lines[line - 1] ?? 0) + (at === null ? 0 : Math.max(0, Number(at[2]) - 1));
      problems.push({
        path: issue.path,
        message: firstLine(issue.message),
        ...span(text, lines, Math.min(from, text.length), Math.min(from, text.length)),
        line: lineOf(lines, Math.min(from, text.length)),
        origin: 'server',
        exact: at !== null,
      });
      continue;
    }
    const found = locate(document, issue.path);
    const start = found.range?.[0] ?? firstContent(text);
    const end = found.range?.[1] ?? start;
    problems.push({
      path: issue.path,
      message: issue.message,
      ...span(text, lines, start, end),
      line: lineOf(lines, start),
      origin: 'server',
      exact: found.exact,
    });
  }
  return problems.sort((a, b) => a.from - b.from);
}

/** The node at a dotted path, or its nearest existing parent (`exact: false`). */
function locate(document: Document, path: string): Located {
  const segments = path === '' ? [] : path.split('.');
  let node: unknown = document.contents;
  let range: Range | null | undefined = (document.contents as { range?: Range } | null)?.range;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    let next: unknown;
    let keyRange: Range | null | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      next = pair?.value;
      keyRange = pair !== undefined && isScalar(pair.key) ? pair.key.range : undefined;
      // `prompt:` with nothing after it: the key is where the problem is.
      if (pair !== undefined && (next === null || next === undefined))
        return { range: keyRange, exact: i === segments.length - 1 };
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      next = node.items[Number(segment)];
    }
    const nextRange = (next as { range?: Range } | null | undefined)?.range;
    if (next === undefined || next === null || nextRange === undefined || nextRange === null)
      return { range, exact: false };
    node = next;
    range = nextRange;
  }
  return { range, exact: true };
}

/** From `from` to `to`, kept to the first line (at least one character when the line has any). */
function span(text: string, lines: readonly number[], from: number, to: number): { from: number; to: number } {
  const line = lineOf(lines, from);
  const lineEnd = line < lines.length ? (lines[line] as number) - 1 : text.length;
  const end = Math.min(Math.max(to, from), lineEnd);
  if (end > from) return { from, to: end };
  return { from, to: Math.min(lineEnd, from + 1) };
}

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The 1-based line holding `offset`. */
function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return low + 1;
}

/** Where the text's first non-blank character is (the root's problems go there). */
function firstContent(text: string): number {
  const at = text.search(/\S/);
  return at === -1 ? 0 : at;
}

/** The yaml package's message without its excerpt of the text (the editor shows the text itself). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:$/, '');
}
