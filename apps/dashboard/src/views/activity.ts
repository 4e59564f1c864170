/**
 * The Activity view: this node's throughput in and out (the rate of its byte counters between
 * two `stats` events), transfers, replication backlog and under-replicated files, as cards and
 * as charts over the last five minutes; and the recent events (joins, deaths, puts, deletes,
 * copies stored) as they arrive. Samples are kept while the view is hidden, drawn when shown.
 */
import type { FileChangeEvent, MemberEvent, StatsEvent } from '@dfs/api';
import { drawChart } from '../chart.js';
import { byId, h, replaceChildren } from '../dom.js';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  rateBetween,
  shortId,
} from '../format.js';

const WINDOW_MS = 5 * 60_000;
const MIN_WINDOW_MS = 30_000;
const MAX_EVENTS = 100;

interface Sample {
  at: number;
  inRate: number;
  outRate: number;
  backlog: number;
  transfers: number;
}

export interface ActivityViewHandle {
  show(): void;
  hide(): void;
  onStats(event: StatsEvent): void;
  onMember(event: MemberEvent): void;
  onFile(event: FileChangeEvent): void;
}

export function createActivityView(): ActivityViewHandle {
  const cards = byId('cards');
  const throughput = byId('chart-throughput') as unknown as SVGSVGElement;
  const backlog = byId('chart-backlog') as unknown as SVGSVGElement;
  const list = byId('events');
  const samples: Sample[] = [];
  let last: StatsEvent | undefined;
  let visible = false;

  const render = (): void => {
    if (!visible || last === undefined) return;
    const s = last.stats;
    const latest = samples.at(-1);
    const card = (label: string, value: string): HTMLElement =>
      h(
        'div',
        { class: 'card' },
        h('div', { class: 'value' }, value),
        h('div', { class: 'label' }, label),
      );
    replaceChildren(
      cards,
      card('in', formatRate(latest?.inRate ?? 0)),
      card('out', formatRate(latest?.outRate ?? 0)),
      card('transfers in / out', `${s.transfersIn} / ${s.transfersOut}`),
      card('replication backlog', formatCount(s.backlog)),
      card('under-replicated files', formatCount(last.underReplicated)),
      card('files held here', `${formatCount(s.files)} · ${formatBytes(s.bytes)}`),
      card('free disk', formatBytes(s.diskFree)),
      card('uptime', formatDuration(s.uptime)),
    );
    const now = last.at;
    // The window grows with the samples (a fresh page is not a flat line at the right edge).
    const first = samples[0]?.at ?? now;
    const windowMs = Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, now - first));
    byId('note-throughput').textContent = drawChart(
      throughput,
      [
        {
          label: 'in',
          className: 'series-a',
          points: samples.map((p) => ({ at: p.at, value: p.inRate })),
        },
        {
          label: 'out',
          className: 'series-b',
          points: samples.map((p) => ({ at: p.at, value: p.outRate })),
        },
      ],
      now,
      windowMs,
      formatRate,
    );
    byId('note-backlog').textContent = drawChart(
      backlog,
      [
        {
          label: 'backlog',
          className: 'series-a',
          points: samples.map((p) => ({ at: p.at, value: p.backlog })),
        },
        {
          label: 'transfers',
          className: 'series-b',
          points: samples.map((p) => ({ at: p.at, value: p.transfers })),
        },
      ],
      now,
      windowMs,
      formatCount,
    );
  };

  const addEvent = (at: number, kind: string, text: string): void => {
    const time = new Date(at);
    list.prepend(
      h(
        'li',
        { data: { kind } },
        h('time', { attrs: { datetime: time.toISOString() } }, time.toLocaleTimeString()),
        text,
      ),
    );
    while (list.childElementCount > MAX_EVENTS) list.lastElementChild?.remove();
  };

  return {
    show() {
      visible = true;
      render();
    },
    hide() {
      visible = false;
    },
    onStats(event) {
      if (last !== undefined && last.self === event.self) {
        samples.push({
          at: event.at,
          inRate: rateBetween(
            { at: last.at, value: last.stats.bytesIn },
            { at: event.at, value: event.stats.bytesIn },
          ),
          outRate: rateBetween(
            { at: last.at, value: last.stats.bytesOut },
            { at: event.at, value: event.stats.bytesOut },
          ),
          backlog: event.stats.backlog,
          transfers: event.stats.transfersIn + event.stats.transfersOut,
        });
        while (samples.length > 0 && samples[0]!.at < event.at - WINDOW_MS) samples.shift();
      }
      last = event;
      render();
    },
    onMember(event) {
      const verb =
        event.state === 'alive'
          ? event.previous === 'suspect'
            ? 'is alive again'
            : 'joined'
          : event.state === 'suspect'
            ? 'is suspected'
            : event.state === 'dead'
              ? 'died'
              : 'left';
      addEvent(
        event.at,
        `member-${event.state}`,
        `node ${shortId(event.id)} (${event.addr}) ${verb}, incarnation ${event.incarnation}`,
      );
    },
    onFile(event) {
      const what = {
        put: event.local ? 'written here' : 'new version learned',
        delete: 'deleted',
        stored: 'copy stored here (replicated)',
        dropped: 'copy dropped here',
      }[event.kind];
      addEvent(
        event.at,
        `file-${event.kind}`,
        `${event.name}: ${what}${event.kind === 'delete' ? '' : ` (${formatBytes(event.size)})`}`,
      );
    },
  };
}
