// Apache ECharts, tree-shaken to what the overview draws (bars and a line,
// SVG renderer, the aria component that describes each chart in words).

import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, AriaComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/** One chart; `label` names it for screen readers. */
export function Chart({ option, label, height = 240 }: { option: ChartOption; label: string; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, undefined, { renderer: 'svg' });
    chart.setOption({ aria: { enabled: true }, animation: false, ...option });
    const resize = () => chart.resize();
    addEventListener('resize', resize);
    return () => {
      removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option]);
  return <div class="chart" ref={el} role="img" aria-label={label} style={{ height: `${height}px` }} />;
}
