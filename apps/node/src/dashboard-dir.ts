/**
 * Where the built dashboard is: the `dist/` of the `@dfs/dashboard` workspace, found through its
 * package like any dependency. '' when it is not installed (the node then serves no dashboard).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export function dashboardDir(): string {
  try {
    const manifest = createRequire(import.meta.url).resolve('@dfs/dashboard/package.json');
    return path.join(path.dirname(manifest), 'dist');
  } catch {
    return '';
  }
}
