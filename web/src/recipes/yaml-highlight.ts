import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';

/**
 * YAML colours from CSS variables (recipe-editor.css), so keys, strings and comments stay readable
 * in dark mode too (CodeMirror's default colours are for light backgrounds only).
 */
export const yamlHighlight = syntaxHighlighting(
  HighlightStyle.define([
    { tag: tags.definition(tags.propertyName), color: 'var(--yaml-key)' },
    { tag: [tags.string, tags.special(tags.string)], color: 'var(--yaml-string)' },
    { tag: tags.lineComment, color: 'var(--yaml-comment)', fontStyle: 'italic' },
    { tag: [tags.labelName, tags.typeName, tags.keyword, tags.meta], color: 'var(--yaml-meta)' },
  ]),
);
