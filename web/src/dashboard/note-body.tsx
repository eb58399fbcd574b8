import { lazy, Suspense, useMemo } from 'react';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { renderMarkdown } from './markdown.ts';
import { useYVersion } from './use-live.ts';

// The editor (CodeMirror and its Yjs binding) is fetched only when someone edits a note.
const NoteEditor = lazy(() => import('./note-editor.tsx'));

/** Props of a note's body. */
export interface NoteBodyProps {
  readonly text: Y.Text;
  readonly awareness: Awareness | null;
  readonly title: string;
  readonly editing: boolean;
  readonly onDone: () => void;
}

/** A note's body: the live editor while editing, else its markdown rendered and sanitized. */
export function NoteBody({ text, awareness, title, editing, onDone }: NoteBodyProps) {
  const version = useYVersion(text);
  // `version` moves whenever the text changes: render the markdown again then.
  const html = useMemo(() => renderMarkdown(text.toString()), [text, version]);
  if (editing && awareness !== null) {
    return (
      <Suspense fallback={<p className="muted">Loading the editor…</p>}>
        <NoteEditor text={text} awareness={awareness} label={`Body of ${title || 'untitled note'}`} onDone={onDone} />
      </Suspense>
    );
  }
  return text.length === 0 ? (
    <p className="muted">Empty note</p>
  ) : (
    <div className="note-rendered" data-testid="note-rendered" dangerouslySetInnerHTML={{ __html: html }} />
  );
}
