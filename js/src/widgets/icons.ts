// ChatKit icon names drawn with lucide's icon nodes. Only the icons those names use are bundled:
// all of lucide would add 450 kB to the page's code. Any other `lucide:<name>` comes from the
// kernel (lucide-icons.json): a WidgetView gets the few its widget uses in its `icons` trait, a
// chat those of its options; icons met later (a widget in a thread) are asked for over the comm
// (addIconSource), drawn in place when they arrive and kept for the page.
import {
  Atom,
  Award,
  Book,
  BookMarked,
  BookOpen,
  Bot,
  Box,
  BriefcaseBusiness,
  Bug,
  Calendar,
  ChartColumn,
  ChartLine,
  Check,
  ChevronDown,
  ChevronLeft,
  ChevronRight,
  Circle,
  CircleCheck,
  CircleQuestionMark,
  CircleUser,
  Clock,
  Compass,
  Contact,
  Dot,
  Ellipsis,
  EllipsisVertical,
  ExternalLink,
  File as FileIcon,
  FileText,
  FlaskConical,
  Globe,
  type IconNode,
  IdCard,
  Image as ImageIcon,
  Images,
  Info,
  KeyRound,
  Layers,
  LifeBuoy,
  Lightbulb,
  Mail,
  Map as MapIcon,
  MapPin,
  Monitor,
  Notebook,
  NotebookPen,
  PartyPopper,
  Pencil,
  PenLine,
  Phone,
  Play,
  Plus,
  RefreshCw,
  Search,
  SlidersHorizontal,
  Smartphone,
  Sparkle,
  Sparkles,
  SquareCode,
  SquarePen,
  SquareText,
  Star,
  User,
  Zap,
} from "lucide";

const SVG_NS = "http://www.w3.org/2000/svg";

/** ChatKit's built-in icon names and the lucide icon that stands in for each. */
export const CHATKIT_ICONS: Readonly<Record<string, string>> = {
  agent: "Bot",
  analytics: "ChartLine",
  atom: "Atom",
  batch: "Layers",
  bolt: "Zap",
  "book-open": "BookOpen",
  "book-closed": "Book",
  "book-clock": "BookMarked",
  bug: "Bug",
  calendar: "Calendar",
  chart: "ChartColumn",
  check: "Check",
  "check-circle": "CircleCheck",
  "check-circle-filled": "CircleCheck",
  "chevron-left": "ChevronLeft",
  "chevron-right": "ChevronRight",
  "circle-question": "CircleQuestionMark",
  clock: "Clock",
  compass: "Compass",
  confetti: "PartyPopper",
  cube: "Box",
  desktop: "Monitor",
  document: "FileText",
  dot: "Dot",
  "dots-horizontal": "Ellipsis",
  "dots-vertical": "EllipsisVertical",
  "empty-circle": "Circle",
  "external-link": "ExternalLink",
  globe: "Globe",
  keys: "KeyRound",
  lab: "FlaskConical",
  images: "Images",
  info: "Info",
  lifesaver: "LifeBuoy",
  lightbulb: "Lightbulb",
  mail: "Mail",
  "map-pin": "MapPin",
  maps: "Map",
  mobile: "Smartphone",
  name: "IdCard",
  notebook: "Notebook",
  "notebook-pencil": "NotebookPen",
  "page-blank": "File",
  phone: "Phone",
  play: "Play",
  plus: "Plus",
  profile: "CircleUser",
  "profile-card": "Contact",
  reload: "RefreshCw",
  star: "Star",
  "star-filled": "Star",
  search: "Search",
  sparkle: "Sparkle",
  "sparkle-double": "Sparkles",
  "square-code": "SquareCode",
  "square-image": "Image",
  "square-text": "SquareText",
  suitcase: "BriefcaseBusiness",
  "settings-slider": "SlidersHorizontal",
  user: "User",
  wreath: "Award",
  write: "Pencil",
  "write-alt": "SquarePen",
  "write-alt2": "PenLine",
};

/** Icons drawn solid rather than outlined (ChatKit's `-filled` names). */
const FILLED = new Set(["check-circle-filled", "star-filled"]);

/** The lucide icons bundled here, by export name: those CHATKIT_ICONS use, and the Select arrow. */
const BUNDLED: Readonly<Record<string, IconNode>> = {
  Atom,
  Award,
  Book,
  BookMarked,
  BookOpen,
  Bot,
  Box,
  BriefcaseBusiness,
  Bug,
  Calendar,
  ChartColumn,
  ChartLine,
  Check,
  ChevronDown,
  ChevronLeft,
  ChevronRight,
  Circle,
  CircleCheck,
  CircleQuestionMark,
  CircleUser,
  Clock,
  Compass,
  Contact,
  Dot,
  Ellipsis,
  EllipsisVertical,
  ExternalLink,
  File: FileIcon,
  FileText,
  FlaskConical,
  Globe,
  IdCard,
  Image: ImageIcon,
  Images,
  Info,
  KeyRound,
  Layers,
  LifeBuoy,
  Lightbulb,
  Mail,
  Map: MapIcon,
  MapPin,
  Monitor,
  Notebook,
  NotebookPen,
  PartyPopper,
  PenLine,
  Pencil,
  Phone,
  Play,
  Plus,
  RefreshCw,
  Search,
  SlidersHorizontal,
  Smartphone,
  Sparkle,
  Sparkles,
  SquareCode,
  SquarePen,
  SquareText,
  Star,
  User,
  Zap,
};

// Built icons by name and class: a redraw of a long list clones them instead of rebuilding each.
const built = new Map<string, SVGSVGElement>();

/** Icons the kernel sent by ChatKit name (`lucide:rocket`), checked: they arrive as data. */
const added = new Map<string, IconNode>();

/** Asks the kernel for icons by name; resolves to `{name: node}` for those it knows. */
export type IconSource = (names: string[]) => Promise<unknown>;
// Each live chat view adds its bridge; the newest open one is asked.
const sources: IconSource[] = [];
/** Placeholders drawn for a `lucide:` name we asked for, filled when it comes. */
const waiting = new Map<string, Set<SVGSVGElement>>();
/** Names asked for and not answered yet, and names the kernel does not know (never asked again). */
const asked = new Set<string>();
const unknown = new Set<string>();
let queue: string[] = [];

/** Lets `createIcon` ask `source` for the `lucide:` icons it lacks. Returns the undo. */
export function addIconSource(source: IconSource): () => void {
  sources.push(source);
  return () => {
    const i = sources.indexOf(source);
    if (i >= 0) sources.splice(i, 1);
  };
}

function want(name: string, svg: SVGSVGElement): void {
  // Without a source (a WidgetView gets its icons with its state) nothing will fill it.
  if (sources.length === 0 || unknown.has(name)) return;
  let set = waiting.get(name);
  if (!set) {
    if (waiting.size >= 500) return;
    set = new Set();
    waiting.set(name, set);
  }
  if (set.size < 1000) set.add(svg);
  if (asked.has(name) || queue.includes(name)) return;
  if (queue.push(name) === 1) queueMicrotask(flush);
}

function flush(): void {
  const names = queue.slice(0, 200);
  queue = queue.slice(200);
  if (queue.length) queueMicrotask(flush);
  const source = sources[sources.length - 1];
  if (!source || names.length === 0) return;
  for (const name of names) asked.add(name);
  source(names).then(
    (icons) => {
      addIcons(icons);
      for (const name of names) {
        asked.delete(name);
        const node = added.get(name);
        if (!node) unknown.add(name);
        for (const svg of waiting.get(name) ?? []) if (node) fill(svg, node, name);
        waiting.delete(name);
      }
    },
    () => {
      // No kernel (or it failed): the placeholders stay; a later draw may ask again.
      for (const name of names) {
        asked.delete(name);
        waiting.delete(name);
      }
    },
  );
}

// What lucide's icon nodes use. Anything else (a <script>, an `href`, a `fill: url(...)` that
// fetches) could come from a tampered saved notebook, so such an icon is dropped whole.
const SHAPES = new Set(["path", "circle", "rect", "line", "ellipse", "polyline", "polygon"]);
const GEOMETRY = new Set(["d", "cx", "cy", "r", "rx", "ry", "x", "y", "x1", "x2", "y1", "y2", "width", "height", "points"]);
const GEOMETRY_VALUE = /^[\w.,\s+-]{0,4000}$/;

function checkedNode(node: unknown): IconNode | undefined {
  if (!Array.isArray(node) || node.length > 64) return undefined;
  for (const child of node) {
    if (!Array.isArray(child) || child.length !== 2 || !SHAPES.has(child[0])) return undefined;
    const attrs: unknown = child[1];
    if (typeof attrs !== "object" || attrs === null || Array.isArray(attrs)) return undefined;
    for (const [key, value] of Object.entries(attrs)) {
      const ok =
        key === "fill"
          ? value === "none" || value === "currentColor"
          : GEOMETRY.has(key) && (typeof value === "number" || (typeof value === "string" && GEOMETRY_VALUE.test(value)));
      if (!ok) return undefined;
    }
  }
  return node as IconNode;
}

/**
 * Adds icons by ChatKit name (`{"lucide:rocket": node}`), keeping those already there: what a
 * standalone view's kernel sends for the `lucide:` names its widget uses beyond the bundled
 * ones. Malformed or non-lucide entries are ignored (their icons stay empty placeholders).
 */
export function addIcons(icons: unknown): void {
  if (typeof icons !== "object" || icons === null) return;
  let changed = false;
  for (const [name, node] of Object.entries(icons)) {
    if (!name.startsWith("lucide:") || name.length > 100 || added.has(name) || added.size >= 2000) continue;
    const checked = checkedNode(node);
    if (!checked) continue;
    added.set(name, checked);
    changed = true;
  }
  // Placeholders built before the icon came are cached too.
  if (changed) built.clear();
}

/** The export names of the lucide icons bundled here (build.mjs lists them for the kernel). */
export function bundledIconNames(): string[] {
  return Object.keys(BUNDLED);
}

/** `"arrow-up-right"` -> `"ArrowUpRight"`, lucide's export names. */
function pascalCase(kebab: string): string {
  return kebab
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

function lookup(name: string): IconNode | undefined {
  return Object.hasOwn(BUNDLED, name) ? BUNDLED[name] : undefined;
}

/** The lucide icon node for a ChatKit icon name or `lucide:<name>`, if there is one. */
export function iconNode(name: unknown): IconNode | undefined {
  if (typeof name !== "string" || name.length > 100) return undefined;
  if (name.startsWith("lucide:")) {
    const bare = name.slice("lucide:".length);
    return lookup(pascalCase(bare)) ?? lookup(bare) ?? added.get(name);
  }
  const mapped = Object.hasOwn(CHATKIT_ICONS, name) ? CHATKIT_ICONS[name] : undefined;
  return mapped ? lookup(mapped) : undefined;
}

/**
 * An `<svg>` for the icon, hidden from assistive technology (its meaning belongs in the label of
 * whatever holds it). Unknown names (including `vendor:` icons, which need the hosted ChatKit, and
 * unbundled `lucide:` icons in a standalone view) give an empty placeholder of the same size.
 */
export function createIcon(name: unknown, className = "ckw-icon"): SVGSVGElement {
  const key = typeof name === "string" ? `${className}\u0000${name}` : null;
  const cached = key === null ? undefined : built.get(key);
  if (cached) return placeholder(name, cached.cloneNode(true) as SVGSVGElement);
  const svg = buildIcon(name, className);
  if (key !== null && built.size < 500) built.set(key, svg.cloneNode(true) as SVGSVGElement);
  return placeholder(name, svg);
}

/** A `lucide:` placeholder is registered to be filled once the kernel sends its icon. */
function placeholder(name: unknown, svg: SVGSVGElement): SVGSVGElement {
  if (typeof name === "string" && name.startsWith("lucide:") && svg.classList.contains("ckw-icon--missing")) want(name, svg);
  return svg;
}

function fill(svg: SVGSVGElement, node: IconNode, name: string): void {
  svg.classList.remove("ckw-icon--missing");
  if (FILLED.has(name)) svg.classList.add("ckw-icon--filled");
  svg.replaceChildren();
  for (const [tag, attrs] of node) {
    const child = document.createElementNS(SVG_NS, tag);
    for (const [attr, value] of Object.entries(attrs)) {
      if (value !== undefined && !/^on/i.test(attr)) child.setAttribute(attr, String(value));
    }
    svg.appendChild(child);
  }
}

function buildIcon(name: unknown, className: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("xmlns", SVG_NS);
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const node = iconNode(name);
  if (typeof name === "string") svg.setAttribute("data-icon", name);
  if (!node) {
    svg.classList.add("ckw-icon--missing");
    return svg;
  }
  fill(svg, node, String(name));
  return svg;
}
