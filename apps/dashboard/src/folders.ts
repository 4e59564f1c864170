/**
 * Folders over a flat name space: names are paths split by `/`, and the file list shows one level
 * at a time. `groupByFolder` turns one page of a prefix listing into the rows of the current
 * folder — the subfolders (with what this page saw of them) and the files directly in it — and
 * merges with the rows of the pages before it, so paging never repeats a folder.
 */

export interface FileRowEntry {
  name: string;
  size: number;
  modified: number;
}

export interface FolderRow {
  kind: 'folder';
  /** The folder's full path, ending in `/`. */
  path: string;
  /** Its last segment, with the trailing `/`. */
  label: string;
  /** Files seen under it so far (in the pages loaded), and their bytes. */
  files: number;
  bytes: number;
}

export interface FileRow {
  kind: 'file';
  name: string;
  /** The name within the current folder. */
  label: string;
  size: number;
  modified: number;
}

export type ListingRow = FolderRow | FileRow;

/**
 * The rows for `entries` (names that start with `folder`) inside `folder` ('' or ending in `/`),
 * added to `previous` (the rows of earlier pages). Rows keep the listing's order.
 */
export function groupByFolder(
  folder: string,
  entries: readonly FileRowEntry[],
  previous: readonly ListingRow[] = [],
): ListingRow[] {
  const rows = previous.map((row) => ({ ...row }));
  const folders = new Map<string, FolderRow>();
  for (const row of rows) if (row.kind === 'folder') folders.set(row.path, row);
  for (const entry of entries) {
    if (!entry.name.startsWith(folder)) continue;
    const rest = entry.name.slice(folder.length);
    const slash = rest.indexOf('/');
    if (slash < 0) {
      rows.push({
        kind: 'file',
        name: entry.name,
        label: rest,
        size: entry.size,
        modified: entry.modified,
      });
      continue;
    }
    const path = folder + rest.slice(0, slash + 1);
    let row = folders.get(path);
    if (row === undefined) {
      row = { kind: 'folder', path, label: rest.slice(0, slash + 1), files: 0, bytes: 0 };
      folders.set(path, row);
      rows.push(row);
    }
    row.files++;
    row.bytes += entry.size;
  }
  return rows;
}

/** The folder part of a path (`a/b/c` → `a/b/`, `c` → ''). */
export function folderOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash + 1);
}

/** The breadcrumb of `folder`: each ancestor's path and label, the root first. */
export function breadcrumb(folder: string): { path: string; label: string }[] {
  const crumbs = [{ path: '', label: 'all files' }];
  let path = '';
  for (const segment of folder.split('/').slice(0, -1)) {
    path += `${segment}/`;
    crumbs.push({ path, label: segment });
  }
  return crumbs;
}
