// The cluster panel of the hardware page (`data-testid="cluster-panel"`): on a head, every
// node that joined it with its GPUs, online or offline, its Ray worker and when it was last
// seen, and the Ray cluster's state; on a node, the head it joined. Hidden on a machine that
// is neither. Read when the page is shown and on "Refresh".

import { h, replaceChildren } from '../dom';
import type { ClusterView, NodeView, RayClusterStatus } from '../types';

export interface ClusterPanel {
  el: HTMLElement;
  set(view: ClusterView, nowMs: number): void;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago". */
export function seenAgo(lastSeenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - lastSeenMs) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** A node's GPUs: "2 × NVIDIA L4 (22 GiB)", or "no GPU". */
export function gpusText(node: NodeView): string {
  if (node.gpus.length === 0) return 'no GPU';
  const counts = new Map<string, number>();
  for (const gpu of node.gpus) {
    const key = `${gpu.name} (${Math.round(gpu.memory_gib)} GiB)`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => (n === 1 ? name : `${n} × ${name}`)).join(', ');
}

/** The Ray cluster in one line. */
export function rayText(ray: RayClusterStatus): string {
  const where = ray.head_address ? ` at ${ray.head_address}` : '';
  const gpus = ray.state === 'idle' ? '' : `, ${ray.gpus_held} of ${ray.gpus_wanted} GPUs on ${ray.ray_nodes} nodes`;
  const failure = ray.failure ? ` — ${ray.failure}` : '';
  return `Ray: ${ray.state}${where}${gpus}${failure}`;
}

export function clusterPanel(refresh: () => void): ClusterPanel {
  const body = h('div');
  const again = h('button', { type: 'button' }, 'Refresh');
  again.addEventListener('click', refresh);
  const el = h(
    'section',
    { class: 'card cluster-panel', 'data-testid': 'cluster-panel', 'aria-label': 'Cluster', hidden: '' },
    h('div', { class: 'card-title' }, h('h3', undefined, 'Cluster'), again),
    body,
  );
  return {
    el,
    set(view, nowMs) {
      el.hidden = view.role === 'standalone';
      if (view.role === 'member') {
        replaceChildren(body, h('p', undefined, `This machine is node ${view.node_id ?? ''} of ${view.head_url ?? ''}.`));
        return;
      }
      const rows = view.nodes.map((node) =>
        h(
          'li',
          { 'data-testid': 'cluster-node', class: node.state === 'online' ? 'ok' : 'warn' },
          h('strong', undefined, node.name),
          ` · ${node.state} · ${gpusText(node)} · Ray ${node.ray}${node.ray_message ? ` (${node.ray_message})` : ''} · last seen ${seenAgo(node.last_seen_ms, nowMs)}`,
        ),
      );
      replaceChildren(body, h('ul', undefined, ...rows), h('p', { class: 'dim' }, rayText(view.ray)));
    },
  };
}
