/**
 * The dashboard's entry: sign in (the API token kept in sessionStorage, never in a URL), then the
 * three views behind hash routes (`#cluster`, `#files/<folder>`, `#activity`) fed by the node's
 * live event stream.
 */
import { Api, ApiError, WRONG_TOKEN_MESSAGE } from './api.js';
import { byId } from './dom.js';
import { shortId } from './format.js';
import { connectLive, type LiveState } from './live.js';
import { createActivityView } from './views/activity.js';
import { createClusterView } from './views/cluster.js';
import { createFilesView } from './views/files.js';

const TOKEN_KEY = 'dfs-api-token';
const VIEWS = ['cluster', 'files', 'activity'] as const;
type ViewName = (typeof VIEWS)[number];

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'connecting…',
  live: '● live',
  reconnecting: '○ reconnecting…',
  refused: 'token refused',
};

async function start(token: string, fromForm: boolean): Promise<void> {
  const api = new Api(token);
  let selfId: string;
  try {
    selfId = (await api.cluster()).self.id;
  } catch (error) {
    showLogin(
      error instanceof ApiError && error.status === 401
        ? token || fromForm
          ? WRONG_TOKEN_MESSAGE
          : ''
        : `Could not reach the node: ${(error as Error).message}`,
    );
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('login').hidden = true;
  byId('tabs').hidden = false;
  byId('tabs').dataset.started = 'true';
  byId('sign-out').hidden = !token;
  const nodeName = byId('node-name');
  nodeName.textContent = `node ${shortId(selfId)}`;
  nodeName.title = selfId;

  const cluster = createClusterView(api, selfId);
  const files = createFilesView(api);
  const activity = createActivityView();
  const liveState = byId('live-state');
  connectLive(
    api,
    {
      member: (event) => {
        cluster.onMember(event);
        activity.onMember(event);
      },
      file: (event) => {
        files.onFile(event);
        activity.onFile(event);
      },
      stats: (event) => {
        cluster.onStats(event);
        activity.onStats(event);
      },
    },
    (state, detail) => {
      liveState.textContent = LIVE_TEXT[state];
      liveState.dataset.state = state;
      if (state === 'refused') showLogin(detail ?? WRONG_TOKEN_MESSAGE);
    },
  );

  const route = (): void => {
    const [head = '', rest = ''] = location.hash.replace(/^#/, '').split(/\/(.*)/s, 2);
    const view: ViewName = (VIEWS as readonly string[]).includes(head)
      ? (head as ViewName)
      : 'cluster';
    for (const name of VIEWS) {
      byId(`view-${name}`).hidden = name !== view;
      const tab = byId(`tab-${name}`);
      if (name === view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    if (view === 'cluster') cluster.show();
    else cluster.hide();
    if (view === 'files') files.show(safeDecode(rest));
    else files.hide();
    if (view === 'activity') activity.show();
    else activity.hide();
    document.title = `dfs · ${view}`;
  };
  window.addEventListener('hashchange', route);
  route();
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

function showLogin(message: string): void {
  for (const name of VIEWS) byId(`view-${name}`).hidden = true;
  byId('tabs').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  sessionStorage.removeItem(TOKEN_KEY);
  byId<HTMLInputElement>('token').focus();
}

function boot(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('token');
    // A second sign-in reloads so no view of the previous token keeps running.
    sessionStorage.setItem(TOKEN_KEY, input.value);
    if (byId('tabs').dataset.started) location.reload();
    else void start(input.value, true);
  });
  byId('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
  void start(sessionStorage.getItem(TOKEN_KEY) ?? '', false);
}

boot();
