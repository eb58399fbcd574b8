import { githubIssueTriage } from './github-issue-triage.ts';
import { nightlyDependencyUpdate } from './nightly-dependency-update.ts';
import { pullRequestReview } from './pull-request-review.ts';
import type { ShippedTemplate } from './shipped-template.ts';

/** The templates shipped with Baton, in the order they are listed. */
export const shippedTemplates: readonly ShippedTemplate[] = [
  githubIssueTriage,
  pullRequestReview,
  nightlyDependencyUpdate,
];

/** A shipped template by id, or undefined. */
export function shippedTemplate(id: string): ShippedTemplate | undefined {
  return shippedTemplates.find((t) => t.id === id);
}
