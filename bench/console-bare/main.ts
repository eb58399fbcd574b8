/**
 * The console benchmark's baseline page: the same editor as a dashboard note (CodeMirror 6 with
 * markdown, bound to a Y.Text by y-codemirror.next) on bare Hocuspocus: no sign-in, no console
 * shell, no policy, no persistence. `?ws=<url>&doc=<name>` says where; `body[data-synced]` says when
 * the document arrived. Built by bench/console.ts with Vite.
 */
import { markdown } from '@codemirror/lang-markdown';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { EditorView, basicSetup } from 'codemirror';
import { yCollab } from 'y-codemirror.next';
import * as Y from 'yjs';

const params = new URLSearchParams(location.search);
const doc = new Y.Doc();
const provider = new HocuspocusProvider({
  url: params.get('ws') ?? '',
  name: params.get('doc') ?? 'bench',
  document: doc,
});
const text = doc.getText('body');
provider.on('synced', () => {
  new EditorView({
    doc: text.toString(),
    parent: document.getElementById('editor') ?? document.body,
    extensions: [basicSetup, markdown(), EditorView.lineWrapping, yCollab(text, provider.awareness ?? undefined)],
  });
  document.body.dataset.synced = 'true';
});
