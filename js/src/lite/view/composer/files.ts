// ChatKit's attachment limits (`composer.attachments.accept` / `maxSize` / `maxCount`), as pure
// functions of a file's name, type and size.

export const DEFAULT_MAX_COUNT = 10;
export const DEFAULT_MAX_SIZE = 100 * 1024 * 1024;

function mimeMatches(pattern: string, mime: string): boolean {
  const p = pattern.trim().toLowerCase();
  const m = mime.toLowerCase();
  if (p === "*" || p === "*/*" || p === "") return true;
  if (p.endsWith("/*")) return m.startsWith(p.slice(0, -1));
  return p === m;
}

/** ChatKit's `accept`: a MIME pattern -> extensions record (as for showOpenFilePicker). */
export function acceptsFile(file: { name: string; type: string }, accept: Record<string, string[]>): boolean {
  const name = file.name.toLowerCase();
  for (const [mime, exts] of Object.entries(accept)) {
    if (file.type && mimeMatches(mime, file.type)) return true;
    for (const ext of exts ?? []) {
      const e = ext.toLowerCase().startsWith(".") ? ext.toLowerCase() : `.${ext.toLowerCase()}`;
      if (name.endsWith(e)) return true;
    }
  }
  return false;
}

/** ChatKit's `maxSize`: a number, or MIME patterns -> limits with `"*"`/`""` as the fallback. */
export function sizeLimit(mime: string, maxSize: number | Record<string, number> | undefined): number {
  if (typeof maxSize === "number") return maxSize;
  if (!maxSize) return DEFAULT_MAX_SIZE;
  let best: { specificity: number; limit: number } | null = null;
  for (const [pattern, limit] of Object.entries(maxSize)) {
    if (pattern === "*" || pattern === "") continue;
    if (mime && mimeMatches(pattern, mime)) {
      const specificity = pattern.endsWith("/*") ? 1 : 2;
      if (!best || specificity > best.specificity) best = { specificity, limit };
    }
  }
  if (best) return best.limit;
  return maxSize["*"] ?? maxSize[""] ?? DEFAULT_MAX_SIZE;
}
