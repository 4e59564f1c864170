/**
 * Small line charts drawn as SVG by hand: one or two series over the last minutes, the y axis
 * from 0 to the largest value seen in the window. A chart library would cost more bytes than the
 * whole dashboard for what is a polyline and two labels.
 */

const SVG = 'http://www.w3.org/2000/svg';

export interface Series {
  label: string;
  /** CSS class that colours the line (`series-a`, `series-b`). */
  className: string;
  points: readonly { at: number; value: number }[];
}

/** The polyline `points` attribute for values in a `width`×`height` box over [from, to]. */
export function polylinePoints(
  points: readonly { at: number; value: number }[],
  from: number,
  to: number,
  max: number,
  width: number,
  height: number,
): string {
  const span = Math.max(1, to - from);
  const top = max > 0 ? max : 1;
  return points
    .filter((p) => p.at >= from)
    .map((p) => {
      const x = ((p.at - from) / span) * width;
      const y = height - (Math.min(p.value, top) / top) * height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/**
 * Draws `series` into `svg` (its viewBox is fixed; CSS scales it) over the last `windowMs` up to
 * `now`; `format` writes values. The chart's text alternative goes in its aria-label; the returned
 * line (the window and its highest value) is for a caption beside it.
 */
export function drawChart(
  svg: SVGSVGElement,
  series: readonly Series[],
  now: number,
  windowMs: number,
  format: (value: number) => string,
): string {
  const width = 300;
  const height = 80;
  const from = now - windowMs;
  let max = 0;
  for (const s of series) for (const p of s.points) if (p.at >= from) max = Math.max(max, p.value);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const axis = document.createElementNS(SVG, 'line');
  axis.setAttribute('x1', '0');
  axis.setAttribute('x2', String(width));
  axis.setAttribute('y1', String(height));
  axis.setAttribute('y2', String(height));
  axis.setAttribute('class', 'axis');
  svg.appendChild(axis);
  for (const s of series) {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', polylinePoints(s.points, from, now, max, width, height));
    line.setAttribute('class', `line ${s.className}`);
    svg.appendChild(line);
  }
  const latest = series.map((s) => `${s.label} ${format(s.points.at(-1)?.value ?? 0)}`).join(', ');
  svg.setAttribute('aria-label', `${latest}; highest in the window ${format(max)}`);
  return `last ${formatWindow(windowMs)} · highest ${format(max)}`;
}

function formatWindow(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
