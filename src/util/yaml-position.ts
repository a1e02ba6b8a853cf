import { type Document, isMap, isNode, isPair, isScalar, isSeq } from 'yaml';

/**
 * The source offset of the node at `path` in a parsed YAML document (of its key, with
 * `key`), for file:line:column messages. Walks as far as the path exists: a missing key
 * points at its nearest existing parent, so an error still lands on the right block.
 */
export function yamlOffset(
  doc: Document | null | undefined,
  path: readonly PropertyKey[],
  key = false,
): number {
  let node: unknown = doc?.contents;
  let keyNode: unknown = node;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (!item) break;
      keyNode = item;
      node = item;
    } else break;
  }
  const target = key ? keyNode : node;
  return isNode(target) && target.range ? target.range[0] : 0;
}
