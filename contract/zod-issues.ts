import type { z } from 'zod';

/** One schema issue: where (a dotted path, or `what` at the top) and why. */
export interface IssueText {
  path: string;
  message: string;
}

/** The issues of a failed parse, each with its dotted path (`what` names the whole input). */
export function issuesOf(error: z.ZodError, what = 'body'): IssueText[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || what, message: issue.message }));
}

/** The issues as one line a device owner or API caller can act on: `path: message; path: message`. */
export function formatIssues(error: z.ZodError, what = 'body', max = 5): string {
  const issues = issuesOf(error, what);
  const shown = issues.slice(0, max).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}
