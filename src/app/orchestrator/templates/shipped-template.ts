import type { TemplateParameter } from '../../../ports/recipe-templates.ts';

/**
 * A template shipped with Baton: the recipe as YAML text with `{{name}}` placeholders. Kept as
 * TypeScript modules (not .yaml files) so the Worker bundle has them without reading files.
 */
export interface ShippedTemplate {
  /** A stable slug, never a UUID (workspace templates have UUIDs). */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** How it is meant to be started: the trigger or schedule to create after the recipe. */
  readonly setup: string;
  readonly parameters: readonly TemplateParameter[];
  readonly yaml: string;
}
