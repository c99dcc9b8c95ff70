// Widget types. The component shapes come from `@openai/chatkit`; what its types leave out but
// chatkit-python sends (Chart, ActionConfig's handler/loadingBehavior, lucide:/vendor: icon names)
// is added here from chatkit/widgets.py and chatkit/actions.py.
import type { Widgets } from "@openai/chatkit";

export type ColorScheme = "light" | "dark";

/** chatkit.actions.ActionConfig as serialized by chatkit-python. */
export interface ActionConfig {
  type: string;
  /** Any JSON (chatkit.actions.ActionConfig.payload is `Any`); form values merge into an object. */
  payload?: unknown;
  /** Who handles the action; the host decides what to do with it. Default "server". */
  handler?: "client" | "server";
  /** Where to show a loading state while the action runs. Default "auto". */
  loadingBehavior?: "auto" | "none" | "self" | "container";
  streaming?: boolean;
}

export type ThemeColor = { light: string; dark: string };

export type WidgetIcon = Widgets.WidgetIcon | `lucide:${string}` | `vendor:${string}` | "clock";

export type ChartSeries = {
  type: "bar" | "line" | "area";
  label?: string | null;
  dataKey: string;
  stack?: string | null;
  color?: string | ThemeColor | null;
  curveType?: string | null;
};

export type XAxisConfig = { dataKey: string; hide?: boolean; labels?: Record<string, string> };

/** chatkit.widgets.Chart (not in @openai/chatkit's types yet). */
export type Chart = {
  type: "Chart";
  key?: string;
  id?: string;
  data: Record<string, string | number>[];
  series: ChartSeries[];
  xAxis: string | XAxisConfig;
  showYAxis?: boolean;
  showLegend?: boolean;
  showTooltip?: boolean;
  barGap?: number;
  barCategoryGap?: number;
  flex?: number | string;
  height?: number | string;
  width?: number | string;
  size?: number | string;
  minHeight?: number | string;
  minWidth?: number | string;
  minSize?: number | string;
  maxHeight?: number | string;
  maxWidth?: number | string;
  maxSize?: number | string;
  aspectRatio?: number | string;
};

export type Card = Widgets.Card;
export type ListView = Widgets.ListView;
export type ListViewItem = Widgets.ListViewItem;
export type BasicRoot = Widgets.BasicRoot;
export type WidgetRoot = Widgets.WidgetRoot;

/** Every component the renderer knows, roots included (a Basic root may nest a Card). */
export type WidgetComponent = Widgets.WidgetComponent | Chart | ListViewItem | WidgetRoot;

/** What the renderer reads before it knows a node's type: any JSON object. */
export type AnyNode = { type?: unknown; id?: unknown; key?: unknown; [prop: string]: unknown };
