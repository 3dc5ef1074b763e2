import { describe, expect, it } from 'vitest';
import type { NodeView, RayClusterStatus } from '../types';
import { gpusText, rayText, seenAgo } from './cluster-nodes';

function node(gpus: NodeView['gpus']): NodeView {
  return {
    id: 'node-1', name: 'b', control_url: 'http://10.0.0.2:8765', gpus, state: 'online', ray: 'idle',
    ray_message: null, assigned: false, joined_ms: 0, last_seen_ms: 0,
  };
}

describe('the cluster panel text', () => {
  it('says when a node was last seen', () => {
    expect(seenAgo(10_000, 10_500)).toBe('just now');
    expect(seenAgo(0, 12_000)).toBe('12 s ago');
    expect(seenAgo(0, 180_000)).toBe('3 min ago');
    expect(seenAgo(0, 3 * 3_600_000)).toBe('3 h ago');
  });

  it('counts a node’s GPUs of one kind', () => {
    const l4 = { name: 'NVIDIA L4', memory_gib: 22.5 };
    expect(gpusText(node([]))).toBe('no GPU');
    expect(gpusText(node([l4]))).toBe('NVIDIA L4 (23 GiB)');
    expect(gpusText(node([l4, l4]))).toBe('2 × NVIDIA L4 (23 GiB)');
  });

  it('says the Ray cluster’s state and why it failed', () => {
    const failed: RayClusterStatus = {
      state: 'failed', head_address: '10.0.0.1:6379', gpus_wanted: 2, gpus_held: 2, ray_nodes: 2,
      failure: 'node `b` stopped answering (last seen 10 s ago)',
    };
    expect(rayText(failed)).toBe('Ray: failed at 10.0.0.1:6379, 2 of 2 GPUs on 2 nodes — node `b` stopped answering (last seen 10 s ago)');
    expect(rayText({ ...failed, state: 'idle', head_address: null, failure: null })).toBe('Ray: idle');
  });
});
