import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { Schemas } from '../../api/client';

const HOUR = 3600;

/**
 * Opens and clicks per hour (human and all), as lines over every hour from
 * the first to the last with activity: hours without any are zero, not gaps.
 * Loaded on its own (React.lazy) so the chart library stays off the first screen.
 */
export default function HourlyChart({ hourly }: { hourly: Schemas['HourReportView'][] }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = target.current;
    if (el === null || hourly.length === 0) return;
    const byHour = new Map(hourly.map((h) => [Date.parse(h.hour) / 1000, h]));
    // An hour of nothing on each side: lines start and end at zero, and a single hour still has a scale.
    const first = Math.min(...byHour.keys()) - HOUR;
    const last = Math.max(...byHour.keys()) + HOUR;
    const hours: number[] = [];
    for (let t = first; t <= last; t += HOUR) hours.push(t);
    const series = (pick: (h: Schemas['HourReportView']) => number) => hours.map((t) => pick(byHour.get(t) ?? ZERO));
    const data: uPlot.AlignedData = [
      hours,
      series((h) => h.opens.human),
      series((h) => h.opens.total),
      series((h) => h.clicks.human),
      series((h) => h.clicks.total),
    ];
    const chart = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 260,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {},
          { label: 'Opens (people)', stroke: '#1c7ed6', width: 2 },
          { label: 'Opens (all)', stroke: '#74c0fc', dash: [6, 4] },
          { label: 'Clicks (people)', stroke: '#2f9e44', width: 2 },
          { label: 'Clicks (all)', stroke: '#8ce99a', dash: [6, 4] },
        ],
        axes: [{}, { label: 'per hour' }],
      },
      data,
      el,
    );
    const resize = () => chart.setSize({ width: Math.max(320, el.clientWidth), height: 260 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
    };
  }, [hourly]);
  return <div ref={target} role="img" aria-label="Opens and clicks per hour" />;
}

const ZERO: Schemas['HourReportView'] = {
  hour: '',
  opens: { total: 0, human: 0 },
  clicks: { total: 0, human: 0 },
  unsubscribes: 0,
};
