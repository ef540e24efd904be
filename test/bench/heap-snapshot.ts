import { readFileSync } from 'node:fs';

/** What a heap snapshot holds of some constructors, and what keeps the first of each alive. */
export interface HeapSnapshotSummary {
  /** Live objects per constructor name asked for. */
  counts: Record<string, number>;
  /** For each name found: a shortest chain of retainers from a GC root to one of its objects. */
  retainers: Record<string, string[]>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Reads a V8 heap snapshot (`.heapsnapshot`, as `v8.writeHeapSnapshot` writes it after a full collection)
 * and counts the objects of the given constructors (e.g. MikroORM's `SqlEntityManager`, `IdentityMap`), with
 * a shortest path from a GC root to one of each: what retains an EntityManager after its requests ended.
 */
export function summarizeHeapSnapshot(path: string, names: readonly string[]): HeapSnapshotSummary {
  const data = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const {
    node_fields: nodeFields,
    node_types: nodeTypes,
    edge_fields: edgeFields,
    edge_types: edgeTypes,
  } = data.snapshot.meta;
  const nodeSize = nodeFields.length;
  const edgeSize = edgeFields.length;
  const typeOf = nodeFields.indexOf('type');
  const nameOf = nodeFields.indexOf('name');
  const edgeCountOf = nodeFields.indexOf('edge_count');
  const edgeTypeOf = edgeFields.indexOf('type');
  const edgeNameOf = edgeFields.indexOf('name_or_index');
  const edgeToOf = edgeFields.indexOf('to_node');
  const objectType = nodeTypes[0].indexOf('object');
  const nodeCount = data.nodes.length / nodeSize;
  const counts: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  const first = new Map<string, number>();
  // Reverse edges (child → one parent, breadth-first from the root = shortest path), built in one pass.
  const parent = new Int32Array(nodeCount).fill(-1);
  const parentEdge = new Int32Array(nodeCount).fill(-1);
  const queue = new Int32Array(nodeCount);
  const firstEdge = new Int32Array(nodeCount);
  for (let node = 0, edge = 0; node < nodeCount; node++) {
    firstEdge[node] = edge;
    edge += data.nodes[node * nodeSize + edgeCountOf] * edgeSize;
    if (data.nodes[node * nodeSize + typeOf] === objectType) {
      const name = data.strings[data.nodes[node * nodeSize + nameOf]];
      if (name in counts) {
        counts[name] += 1;
        if (!first.has(name)) {
          first.set(name, node);
        }
      }
    }
  }
  const weak = edgeTypes[0].indexOf('weak');
  parent[0] = 0;
  let head = 0;
  let tail = 1;
  while (head < tail) {
    const node = queue[head++];
    const edges = data.nodes[node * nodeSize + edgeCountOf];
    for (let index = 0; index < edges; index++) {
      const edge = firstEdge[node] + index * edgeSize;
      if (data.edges[edge + edgeTypeOf] === weak) {
        continue;
      }
      const to = data.edges[edge + edgeToOf] / nodeSize;
      if (parent[to] === -1) {
        parent[to] = node;
        parentEdge[to] = edge;
        queue[tail++] = to;
      }
    }
  }
  const describe = (node: number): string =>
    `${nodeTypes[0][data.nodes[node * nodeSize + typeOf]]} ${data.strings[data.nodes[node * nodeSize + nameOf]].slice(0, 60)}`;
  const retainers: Record<string, string[]> = {};
  for (const [name, node] of first) {
    const chain: string[] = [];
    for (let at = node; at !== 0 && parent[at] !== -1 && chain.length < 40; at = parent[at]) {
      const edge = parentEdge[at];
      const edgeType = edgeTypes[0][data.edges[edge + edgeTypeOf]];
      const label =
        edgeType === 'element' || edgeType === 'hidden'
          ? data.edges[edge + edgeNameOf]
          : data.strings[data.edges[edge + edgeNameOf]];
      chain.unshift(`${describe(parent[at])} --${edgeType}:${String(label)}--> ${describe(at)}`);
    }
    retainers[name] = parent[node] === -1 ? ['(unreachable from the root)'] : chain;
  }
  return { counts, retainers };
}
