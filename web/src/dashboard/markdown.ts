import DOMPurify from 'dompurify';
import { marked } from 'marked';

// Links may only lead to http(s), mailto or in-page anchors: no `javascript:`, `data:` or `vbscript:`.
const allowedUri = /^(?:https?:|mailto:|#|\/(?!\/))/i;

/**
 * A note's markdown as sanitized HTML: marked renders it, DOMPurify removes script, event handlers,
 * forms and any link or image whose address is not http(s)/mailto/relative.
 */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true, breaks: true });
  return DOMPurify.sanitize(html, {
    ALLOWED_URI_REGEXP: allowedUri,
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}
