// Bar charts on Chart.js (canvas; only the parts a bar chart needs are registered, to keep the
// bundle small). Each chart is a figure with a caption, a canvas named by a one-line summary for
// screen readers, and its numbers as a real table behind "Data table".
import { useEffect, useId, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip, type Plugin, type Tick } from 'chart.js';
import { tickLabels, type TickFormat } from '../app/format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export type Bar = { label: string; value: number; display: string; detail?: string[]; highlight?: boolean };

/** A vertical line across a horizontal bar chart at `value` (e.g. the org average). */
function referenceLine(value: number, label: string): Plugin<'bar'> {
  return {
    id: 'reference',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      const x = scales.x.getPixelForValue(value);
      ctx.save();
      ctx.strokeStyle = '#10213f';
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#10213f';
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = x > chartArea.right - 120 ? 'right' : 'left';
      ctx.fillText(label, x + (ctx.textAlign === 'right' ? -4 : 4), chartArea.top + 12);
      ctx.restore();
    },
  };
}

/** Says the value axis's tick labels, as drawn, in an element that describes the canvas. */
function describeAxis(target: { current: HTMLElement | null }, valueLabel: string): Plugin<'bar'> {
  return {
    id: 'describeAxis',
    afterUpdate(chart) {
      const labels = chart.scales.x.ticks.map(t => String(t.label ?? ''));
      if (target.current) target.current.textContent = `${valueLabel} axis: ${labels.join(', ')}`;
    },
  };
}

export function BarChart({ title, bars, valueLabel, formatTick, onSelect, reference, max, tall }: {
  title: string;
  bars: Bar[];
  valueLabel: string;
  /** The value axis's format; the chart picks the fraction digits that label every tick exactly. */
  formatTick: TickFormat;
  onSelect?: (index: number) => void;
  reference?: { value: number; label: string };
  max?: number;
  tall?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const axis = useRef<HTMLParagraphElement>(null);
  const axisId = useId();
  const chart = useRef<Chart<'bar'> | null>(null);
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    if (!canvas.current) return;
    const plugins = [describeAxis(axis, valueLabel), ...(reference ? [referenceLine(reference.value, reference.label)] : [])];
    // One set of labels per set of ticks (Chart.js asks for them one tick at a time).
    const labelled = new WeakMap<Tick[], string[]>();
    const tick = (index: number, ticks: Tick[]) => {
      let labels = labelled.get(ticks);
      if (!labels) labelled.set(ticks, labels = tickLabels(ticks.map(t => t.value), formatTick));
      return labels[index];
    };
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: bars.map(b => b.label),
        datasets: [{
          label: valueLabel,
          data: bars.map(b => b.value),
          backgroundColor: bars.map(b => (b.highlight ? '#e09b00' : '#3a7bd5')),
          borderRadius: 3,
          maxBarThickness: 26,
        }],
      },
      options: {
        indexAxis: 'y',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { beginAtZero: true, max, ticks: { callback: (_v, index, ticks) => tick(index, ticks) } },
          y: { ticks: { autoSkip: false, callback(v) { const l = String(this.getLabelForValue(Number(v))); return l.length > 24 ? `${l.slice(0, 23)}…` : l; } } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: item => `${valueLabel}: ${bars[item.dataIndex]?.display ?? ''}`,
              afterBody: items => bars[items[0]?.dataIndex ?? -1]?.detail ?? [],
            },
          },
        },
        onClick: (_e, elements) => { if (elements[0] && select.current) select.current(elements[0].index); },
        onHover: (e, elements) => {
          const target = e.native?.target as HTMLElement | undefined;
          if (target) target.style.cursor = elements.length && select.current ? 'pointer' : 'default';
        },
      },
      plugins,
    });
    return () => { chart.current?.destroy(); chart.current = null; };
  }, [bars, valueLabel, formatTick, reference?.value, reference?.label, max]);

  const summary = bars.length === 0
    ? `${title}: no data`
    : `${title}: ${bars.slice(0, 5).map(b => `${b.label} ${b.display}`).join(', ')}${bars.length > 5 ? `, and ${bars.length - 5} more` : ''}`;
  const height = Math.max(tall ? 320 : 200, Math.min(bars.length * 30 + 50, 640));
  return (
    <figure className="panel">
      <figcaption>{title}</figcaption>
      {bars.length === 0 ? <p className="muted">No data in this window.</p> : (
        <div className="chart" style={{ height }}>
          <canvas ref={canvas} role="img" aria-label={summary} aria-describedby={axisId} />
          <p className="sr-only" id={axisId} ref={axis} />
        </div>
      )}
      <details className="data-details">
        <summary>Data table<span className="sr-only">: {title}</span></summary>
        <table>
          <caption className="sr-only">{title}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col" className="num">{valueLabel}</th>{bars.some(b => b.detail) && <th scope="col">Breakdown</th>}</tr></thead>
          <tbody>
            {bars.map(b => (
              <tr key={b.label}>
                <th scope="row">{b.label}</th>
                <td className="num">{b.display}</td>
                {bars.some(x => x.detail) && <td>{b.detail?.join('; ')}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
