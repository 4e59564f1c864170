/**
 * The Cluster view: one row per member with its state, incarnation and last contact (from
 * `/v1/cluster`, changed live by `member` events) and its own figures (from `/v1/status`:
 * files, bytes, free disk, transfers, backlog). A state change shows as soon as the event arrives;
 * the figures refresh every few seconds while the view is open.
 */
import type { ClusterView, MemberEvent, MemberStatus, NodeStats, StatsEvent } from '@dfs/api';
import type { Api } from '../api.js';
import { byId, h, replaceChildren } from '../dom.js';
import { formatAge, formatBytes, formatCount, shortId } from '../format.js';

const REFRESH_MS = 5000;

export interface ClusterViewHandle {
  show(): void;
  hide(): void;
  onMember(event: MemberEvent): void;
  onStats(event: StatsEvent): void;
}

export function createClusterView(api: Api, selfId: string): ClusterViewHandle {
  const body = byId<HTMLTableElement>('members').tBodies[0]!;
  const summary = byId('cluster-summary');
  const errorLine = byId('cluster-error');
  const members = new Map<string, MemberStatus>();
  let replicas = 0;
  let underReplicated: number | undefined;
  let statusMissing = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let refreshing = false;
  let pending: ReturnType<typeof setTimeout> | undefined;

  const refresh = async (): Promise<void> => {
    if (refreshing) return;
    refreshing = true;
    try {
      const status = statusMissing ? undefined : await api.status();
      if (status === undefined) {
        statusMissing = true;
        mergeCluster(await api.cluster());
      } else {
        replicas = status.replicas;
        const seen = new Set<string>();
        for (const m of status.members) {
          seen.add(m.id);
          members.set(m.id, m);
        }
        for (const id of members.keys()) if (!seen.has(id)) members.delete(id);
      }
      errorLine.textContent = '';
    } catch (error) {
      errorLine.textContent = `Could not refresh the cluster: ${(error as Error).message}`;
    } finally {
      refreshing = false;
    }
    render();
  };

  const mergeCluster = (view: ClusterView): void => {
    replicas = view.replicas;
    underReplicated = view.underReplicated;
    const seen = new Set<string>();
    for (const m of view.members) {
      seen.add(m.id);
      const old = members.get(m.id);
      members.set(m.id, { ...m, stats: old?.stats ?? null });
    }
    for (const id of members.keys()) if (!seen.has(id)) members.delete(id);
  };

  const render = (): void => {
    const now = Date.now();
    const rows = [...members.values()].sort((a, b) => a.id.localeCompare(b.id));
    const alive = rows.filter((m) => m.state === 'alive').length;
    summary.textContent =
      `${alive} of ${rows.length} members alive · ${replicas} copies per file` +
      (underReplicated !== undefined ? ` · ${formatCount(underReplicated)} under-replicated` : '');
    replaceChildren(
      body,
      ...rows.map((m) => {
        const s: NodeStats | null = m.stats;
        const cell = (text: string, cls = 'num'): HTMLTableCellElement =>
          h('td', { class: cls }, text);
        return h(
          'tr',
          { data: { memberId: m.id, state: m.state } },
          h(
            'th',
            { attrs: { scope: 'row' }, title: `${m.id} at ${m.addr}` },
            shortId(m.id),
            m.id === selfId ? h('span', { class: 'muted' }, ' (this node)') : null,
            h('div', { class: 'muted' }, m.addr || m.api || ''),
          ),
          h('td', { class: `state state-${m.state}`, data: { role: 'state' } }, m.state),
          cell(String(m.incarnation), 'num hide-narrow'),
          cell(formatAge(m.lastSeen, now), ''),
          ...(s === null
            ? [
                h(
                  'td',
                  { class: 'muted', attrs: { colspan: '5' } },
                  `no figures: ${m.error ?? 'not reported'}`,
                ),
              ]
            : [
                cell(formatCount(s.files)),
                cell(formatBytes(s.bytes)),
                cell(
                  `${formatBytes(s.diskFree)} of ${formatBytes(s.diskTotal)}`,
                  'num hide-narrow',
                ),
                cell(`${s.transfersIn} / ${s.transfersOut}`),
                cell(formatCount(s.backlog), 'num hide-narrow'),
              ]),
        );
      }),
    );
  };

  return {
    show() {
      void refresh();
      timer ??= setInterval(() => void refresh(), REFRESH_MS);
      ticker ??= setInterval(render, 1000);
    },
    hide() {
      clearInterval(timer);
      clearInterval(ticker);
      timer = undefined;
      ticker = undefined;
    },
    onMember(event) {
      const old = members.get(event.id);
      members.set(event.id, {
        ...(old ?? { stats: null, lastSeen: event.at }),
        id: event.id,
        addr: event.addr,
        state: event.state,
        incarnation: event.incarnation,
        ...(event.state === 'alive' ? { lastSeen: event.at } : {}),
        ...(event.state === 'alive' ? {} : { stats: null }),
      });
      render();
      // Figures (and the answering node's own view) follow shortly.
      clearTimeout(pending);
      pending = setTimeout(() => void refresh(), 500);
    },
    onStats(event) {
      underReplicated = event.underReplicated;
      const self = members.get(event.self);
      if (self !== undefined && (statusMissing || self.stats === null)) {
        members.set(event.self, { ...self, stats: event.stats, lastSeen: event.at });
      }
    },
  };
}
