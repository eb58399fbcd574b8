import { yaml } from '@codemirror/lang-yaml';
import { forceLinting, lintGutter, linter, type Diagnostic } from '@codemirror/lint';
import { StateEffect, StateField } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useId, useRef, useState } from 'react';
import { stringify } from 'yaml';
import { yamlHighlight } from './yaml-highlight.ts';
import { placeProblems, type PlacedProblem, type ServerIssue } from '../../../client/yaml-problems.ts';

/** Props of the recipe's YAML editor. */
export interface RecipeYamlEditorProps {
  /** What to start with: text, or a version's stored source (the parsed recipe), shown as YAML. */
  readonly initial: unknown;
  /** The last save's 400 issues, kept at their paths while the text changes until the next save. */
  readonly issues: readonly ServerIssue[];
  /** The editor's accessible name. */
  readonly label: string;
  readonly onChange: (text: string) => void;
  /** Ctrl+S / Cmd+S in the editor. */
  readonly onSave: () => void;
}

const setIssues = StateEffect.define<readonly ServerIssue[]>();
const issuesField = StateField.define<readonly ServerIssue[]>({
  create: () => [],
  update: (value, tr) => tr.effects.reduce((current, effect) => (effect.is(setIssues) ? effect.value : current), value),
});

/** A version's stored source (the parsed recipe; text for very old ones) as YAML for editing. */
function sourceAsYaml(source: unknown): string {
  if (typeof source === 'string') return source;
  return stringify(source, { lineWidth: 0 });
}

/**
 * The recipe's YAML in CodeMirror 6 (YAML highlighting), with the server's validation issues and the
 * parser's syntax errors as lint diagnostics (underline, gutter marker, message on hover, F8 to the
 * next) and, for keyboards and screen readers, as a list of buttons next to it that move the cursor
 * to each. Loaded on demand (the editor page imports this module dynamically) so CodeMirror and the
 * YAML parser stay out of every other page's bundle.
 */
export default function RecipeYamlEditor({ initial, issues, label, onChange, onSave }: RecipeYamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const saving = useRef(onSave);
  saving.current = onSave;
  const [problems, setProblems] = useState<readonly PlacedProblem[]>([]);
  const headingId = useId();

  useEffect(() => {
    if (host.current === null) return;
    const initialText = sourceAsYaml(initial);
    const editor = new EditorView({
      doc: initialText,
      parent: host.current,
      extensions: [
        basicSetup,
        yaml(),
        yamlHighlight,
        issuesField,
        lintGutter(),
        linter(
          (v) => {
            const placed = placeProblems(v.state.doc.toString(), v.state.field(issuesField));
            setProblems(placed);
            return placed.map((p): Diagnostic => ({
              from: p.from,
              to: p.to,
              severity: 'error',
              source: p.origin === 'server' ? 'server' : 'YAML',
              message: p.origin === 'syntax' || p.path === 'yaml' ? p.message : `${p.path}: ${p.message}`,
            }));
          },
          {
            delay: 300,
            needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(setIssues))),
          },
        ),
        keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => (saving.current(), true) }]),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) changed.current(update.state.doc.toString());
        }),
      ],
    });
    view.current = editor;
    // The page saves what the editor holds, which until the first change is the converted source.
    changed.current(initialText);
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The text is the editor's own once it exists: another recipe is another page (keyed by the parent).
  }, [label]);

  useEffect(() => {
    const editor = view.current;
    if (editor === null) return;
    editor.dispatch({ effects: setIssues.of(issues) });
    forceLinting(editor);
  }, [issues]);

  const goTo = (problem: PlacedProblem) => {
    const editor = view.current;
    if (editor === null) return;
    const at = Math.min(problem.from, editor.state.doc.length);
    editor.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: 'center' }) });
    editor.focus();
  };

  return (
    <div className="recipe-editor-layout">
      <div className="recipe-yaml" ref={host} />
      <section className="recipe-problems" aria-labelledby={headingId}>
        <h2 id={headingId}>Problems</h2>
        <p role="status" className="hint">
          {problems.length === 0
            ? 'None found.'
            : `${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}`}
        </p>
        {issues.length === 0 ? null : (
          <p className="hint">
            The server’s are from the last save and stay at their place until the next one; syntax errors follow the
            text as you type.
          </p>
        )}
        <ul className="plain">
          {problems.map((p, i) => (
            <li key={`${p.origin}-${p.path}-${i}`} data-path={p.path} data-line={p.line} data-origin={p.origin}>
              <button type="button" className="problem" onClick={() => goTo(p)}>
                <span className="where">line {p.line}</span> <code>{p.path}</code>: {p.message}
                {p.exact ? null : <span className="hint"> (shown on the nearest part that exists)</span>}
              </button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
