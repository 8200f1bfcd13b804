// Where a path lies in a YAML document, so that errors found in the parsed value can name a line.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter } from 'yaml';

/**
 * The line of the deepest part of `path` present in the document: the key's own line when it is there
 * (an unknown key, a bad value), else its nearest parent's (a missing key); undefined when none of it is.
 */
export function lineOfPath(doc: Document, lines: LineCounter, path: readonly string[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let at: { range?: unknown } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
      at = pair?.key as { range?: unknown } | undefined;
      node = pair?.value;
    } else if (isSeq(node) && /^\d+$/.test(key)) {
      node = node.items[Number(key)];
      at = node as { range?: unknown } | undefined;
    } else {
      break;
    }
    const start = Array.isArray(at?.range) ? at.range[0] : undefined;
    if (typeof start !== 'number') break;
    line = lines.linePos(start).line;
  }
  return line;
}
