import { markdown } from '@codemirror/lang-markdown';
import { EditorView, basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { yCollab } from 'y-codemirror.next';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';

/** Props of the collaborative note editor. */
export interface NoteEditorProps {
  readonly text: Y.Text;
  readonly awareness: Awareness;
  readonly label: string;
  /** Called when the person leaves the editor with Escape. */
  readonly onDone: () => void;
}

/**
 * A note's body edited together: CodeMirror 6 bound to the note's Y.Text by y-codemirror.next, with
 * each person's caret and selection in their name and colour (their awareness `user`). Loaded on
 * demand (the page imports this module dynamically) so the editor is not in the initial bundle.
 */
export default function NoteEditor({ text, awareness, label, onDone }: NoteEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const done = useRef(onDone);
  done.current = onDone;
  useEffect(() => {
    if (host.current === null) return;
    const undoManager = new Y.UndoManager(text);
    const view = new EditorView({
      doc: text.toString(),
      parent: host.current,
      extensions: [
        basicSetup,
        markdown(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.domEventHandlers({
          keydown: (event) => {
            if (event.key !== 'Escape') return false;
            done.current();
            return true;
          },
        }),
        yCollab(text, awareness, { undoManager }),
      ],
    });
    view.focus();
    return () => {
      view.destroy();
      undoManager.destroy();
      // Others should not keep seeing a caret in a note nobody is editing any more.
      awareness.setLocalStateField('cursor', null);
    };
  }, [text, awareness, label]);
  return <div className="note-editor" ref={host} />;
}
