import { describe, expect, it } from 'vitest';
import type { FitResult, MemoryPerGpu } from '../types';
import { weightWords } from './model-card';

const GIB = 1024 ** 3;

function memory(weights: number): MemoryPerGpu {
  return {
    total_bytes: 80 * GIB, budget_bytes: 72 * GIB, weights_bytes: weights, non_torch_bytes: 0, activations_bytes: 0, cuda_graphs_bytes: 0,
    cuda_graphs_in_budget: true, kv_cache_bytes: 0, unreserved_bytes: 0, after_kv_bytes: 0, max_num_seqs: 1, max_num_batched_tokens: 1,
  };
}

describe('weightWords', () => {
  it('says what vLLM holds when it differs from the files (GPT-OSS 120B, MXFP4)', () => {
    expect(weightWords({ weight_bytes: 60.77 * GIB, memory: memory(64.38 * GIB), tensor_parallel_size: 1 })).toBe('60.8 GiB of weights, 64.4 GiB once loaded');
  });
  it('adds the GPUs of a tensor-parallel split before comparing', () => {
    expect(weightWords({ weight_bytes: 60.77 * GIB, memory: memory(32.19 * GIB), tensor_parallel_size: 2 })).toBe('60.8 GiB of weights, 64.4 GiB once loaded');
    expect(weightWords({ weight_bytes: 140 * GIB, memory: memory(70 * GIB), tensor_parallel_size: 2 })).toBe('140.0 GiB of weights');
  });
  it('says the files only when they load as stored, with no GPU, or across pipeline stages', () => {
    expect(weightWords({ weight_bytes: 15 * GIB, memory: memory(15 * GIB), tensor_parallel_size: 1 })).toBe('15.0 GiB of weights');
    expect(weightWords({ weight_bytes: 15 * GIB, memory: null, tensor_parallel_size: 1 })).toBe('15.0 GiB of weights');
    const pipeline: NonNullable<FitResult['pipeline']> = { nodes: 2, pipeline_parallel_size: 2, tensor_parallel_size: 1, layer_partition: [18, 18], custom_partition: false, stages: [], limiting_stage: 0 };
    expect(weightWords({ weight_bytes: 60 * GIB, memory: memory(40 * GIB), tensor_parallel_size: 1, pipeline })).toBe('60.0 GiB of weights');
  });
});
