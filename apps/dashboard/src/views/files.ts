/**
 * The Files view: one folder at a time (names split by `/`), paged through
 * `GET /v1/files?prefix=&limit=&cursor=` so 100,000 names never load at once; a prefix search
 * within the folder; per file download, delete (asks once more) and details (its holders, from
 * HEAD); uploads by drag and drop or file picker with a progress bar each. The listing reloads
 * when a `file` event touches the folder.
 */
import type { FileChangeEvent } from '@dfs/api';
import type { Api } from '../api.js';
import { byId, h, replaceChildren } from '../dom.js';
import { breadcrumb, groupByFolder, type ListingRow } from '../folders.js';
import { formatAge, formatBytes, formatCount } from '../format.js';

const PAGE = 200;

export interface FilesViewHandle {
  show(folder: string): void;
  hide(): void;
  onFile(event: FileChangeEvent): void;
}

export function createFilesView(api: Api): FilesViewHandle {
  const body = byId<HTMLTableElement>('files').tBodies[0]!;
  const crumbs = byId('crumbs');
  const search = byId<HTMLInputElement>('search');
  const statusLine = byId('files-status');
  const errorLine = byId('files-error');
  const more = byId<HTMLButtonElement>('more');
  const dropZone = byId('drop-zone');
  const fileInput = byId<HTMLInputElement>('file-input');
  const uploads = byId('uploads');
  const details = byId('details');

  let folder = '';
  let rows: ListingRow[] = [];
  let loadedNames = 0;
  let next: string | null = null;
  let generation = 0;
  let visible = false;
  let reloadTimer: ReturnType<typeof setTimeout> | undefined;
  let searchTimer: ReturnType<typeof setTimeout> | undefined;

  const prefix = (): string => folder + search.value;

  /** Loads the first page again (as many names as were shown, up to the API's maximum). */
  const load = async (append: boolean): Promise<void> => {
    const mine = ++generation;
    const limit = append ? PAGE : Math.min(1000, Math.max(PAGE, loadedNames));
    try {
      const page = await api.list(prefix(), limit, append ? (next ?? undefined) : undefined);
      if (mine !== generation) return;
      rows = groupByFolder(folder, page.files, append ? rows : []);
      loadedNames = (append ? loadedNames : 0) + page.files.length;
      next = page.next;
      errorLine.textContent = '';
    } catch (error) {
      if (mine !== generation) return;
      errorLine.textContent = `Could not list files: ${(error as Error).message}`;
    }
    render();
  };

  const render = (): void => {
    const now = Date.now();
    replaceChildren(
      crumbs,
      ...breadcrumb(folder).flatMap((c, i, all): (Node | string)[] =>
        i === all.length - 1
          ? [h('span', { attrs: { 'aria-current': 'location' } }, c.label)]
          : [h('a', { attrs: { href: folderHash(c.path) } }, c.label), ' / '],
      ),
    );
    replaceChildren(
      body,
      ...rows.map((row) => (row.kind === 'folder' ? folderRow(row) : fileRow(row, now))),
    );
    statusLine.textContent =
      rows.length === 0
        ? search.value
          ? `No names start with "${prefix()}".`
          : 'This folder is empty.'
        : `${formatCount(loadedNames)} names shown${next ? ', more to load' : ''}.`;
    more.hidden = next === null;
  };

  const folderRow = (row: Extract<ListingRow, { kind: 'folder' }>): HTMLTableRowElement =>
    h(
      'tr',
      { data: { folder: row.path } },
      h(
        'td',
        { class: 'name' },
        h('a', { class: 'folder', attrs: { href: folderHash(row.path) } }, row.label),
      ),
      h(
        'td',
        { class: 'num' },
        `${formatCount(row.files)}${next ? '+' : ''} file${row.files === 1 && !next ? '' : 's'}`,
      ),
      h('td', { class: 'hide-narrow' }, ''),
      h('td', {}, ''),
    );

  const fileRow = (
    row: Extract<ListingRow, { kind: 'file' }>,
    now: number,
  ): HTMLTableRowElement => {
    const remove = h(
      'button',
      { class: 'danger', attrs: { type: 'button', 'aria-label': `Delete ${row.name}` } },
      'Delete',
    );
    let armed = false;
    remove.addEventListener('click', () => {
      if (!armed) {
        armed = true;
        remove.textContent = 'Confirm delete';
        return;
      }
      remove.disabled = true;
      api.remove(row.name).then(
        () => void load(false),
        (error: Error) =>
          (errorLine.textContent = `Could not delete ${row.name}: ${error.message}`),
      );
    });
    remove.addEventListener('blur', () => {
      armed = false;
      remove.textContent = 'Delete';
    });
    return h(
      'tr',
      { data: { file: row.name } },
      h(
        'td',
        { class: 'name' },
        h(
          'button',
          {
            class: 'link',
            attrs: { type: 'button' },
            on: { click: () => void showDetails(row.name) },
          },
          row.label,
        ),
      ),
      h('td', { class: 'num' }, formatBytes(row.size)),
      h(
        'td',
        { class: 'hide-narrow', title: new Date(row.modified).toISOString() },
        formatAge(row.modified, now),
      ),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row-actions' },
          h(
            'button',
            {
              attrs: { type: 'button', 'aria-label': `Download ${row.name}` },
              on: { click: () => void download(row.name) },
            },
            'Download',
          ),
          remove,
        ),
      ),
    );
  };

  const showDetails = async (name: string): Promise<void> => {
    details.hidden = false;
    byId('details-title').textContent = name;
    const list = byId('details-list');
    replaceChildren(list, h('dt', {}, 'Loading…'));
    try {
      const d = await api.details(name);
      replaceChildren(
        list,
        ...[
          ['Size', `${formatBytes(d.size)} (${formatCount(d.size)} bytes)`],
          ['Holders', `${d.holders} live node${d.holders === 1 ? '' : 's'} hold this version`],
          ['Written', new Date(d.modified).toISOString()],
          ['SHA-256', d.sha256],
          ['Version', d.version],
        ].flatMap(([term, value]) => [h('dt', {}, term ?? ''), h('dd', {}, value ?? '')]),
      );
    } catch (error) {
      replaceChildren(list, h('dt', {}, 'Error'), h('dd', {}, (error as Error).message));
    }
  };

  const download = async (name: string): Promise<void> => {
    try {
      const blob = await api.download(name);
      const url = URL.createObjectURL(blob);
      const a = h('a', { attrs: { href: url, download: name.split('/').pop() ?? name } });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      errorLine.textContent = `Could not download ${name}: ${(error as Error).message}`;
    }
  };

  const upload = (files: FileList | readonly File[]): void => {
    for (const file of Array.from(files)) {
      const name = folder + file.name;
      const bar = h('progress', {
        attrs: { max: '1', value: '0', 'aria-label': `Uploading ${name}` },
      });
      const state = h('span', { class: 'muted' }, formatBytes(file.size));
      const item = h('li', { data: { upload: name } }, h('span', {}, name), bar, state);
      uploads.prepend(item);
      const { done } = api.upload(name, file, (fraction) => (bar.value = fraction));
      done.then(
        () => {
          state.textContent = 'uploaded';
          item.dataset.done = 'true';
          scheduleReload();
        },
        (error: Error) => {
          state.textContent = `failed: ${error.message}`;
          state.className = 'error';
        },
      );
    }
  };

  const scheduleReload = (): void => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void load(false), 250);
  };

  more.addEventListener('click', () => void load(true));
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      // A new search starts from one page, whatever the previous listing had loaded.
      loadedNames = 0;
      void load(false);
    }, 200);
  });
  fileInput.addEventListener('change', () => {
    if (fileInput.files) upload(fileInput.files);
    fileInput.value = '';
  });
  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('over');
    const files = event.dataTransfer?.files;
    if (files && files.length > 0) upload(files);
  });

  return {
    show(target) {
      visible = true;
      if (target !== folder) {
        folder = target;
        search.value = '';
        loadedNames = 0;
        details.hidden = true;
      }
      void load(false);
    },
    hide() {
      visible = false;
    },
    onFile(event) {
      if (
        visible &&
        (event.kind === 'put' || event.kind === 'delete') &&
        event.name.startsWith(prefix())
      ) {
        scheduleReload();
      }
    },
  };
}

/** The address of a folder in the Files view. */
export function folderHash(path: string): string {
  return path ? `#files/${encodeURIComponent(path)}` : '#files';
}
