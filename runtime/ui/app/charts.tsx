import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

interface ChartProps {
  /** x values: epoch seconds */
  t: number[];
  series: Array<{ label: string; values: number[]; color: string }>;
  width: number;
  height: number;
  /** axes, legend and cursor (the connector page); without: a sparkline */
  full?: boolean;
}

function options(p: ChartProps): uPlot.Options {
  const series: uPlot.Series[] = [
    {},
    ...p.series.map((s) => ({
      label: s.label,
      stroke: s.color,
      width: p.full ? 2 : 1.5,
      fill: p.full ? undefined : `${s.color}22`,
      points: { show: false },
      value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(v < 10 ? 1 : 0)}/s`),
    })),
  ];
  if (!p.full) {
    return {
      width: p.width,
      height: p.height,
      series,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      padding: [2, 0, 0, 0],
    };
  }
  return {
    width: p.width,
    height: p.height,
    series,
    axes: [{}, { label: 'records/s', size: 60 }],
    scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
  };
}

/** A uPlot chart of rates over time: recreated when its shape changes, fed new data otherwise. */
export function Chart(p: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${p.width}x${p.height}:${p.full ? 1 : 0}:${p.series.map((s) => s.label).join(',')}`;
  const data: uPlot.AlignedData = [p.t, ...p.series.map((s) => s.values)];
  useEffect(() => {
    if (!el.current) return;
    plot.current = new uPlot(options(p), data, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  return <div class={p.full ? 'chart' : 'spark'} ref={el} />;
}
