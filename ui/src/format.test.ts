import { describe, expect, it } from 'vitest';
import { ago, capitalized, duration, fraction, gib, latency, percent, sentence, size, sizeOf, speed, times, watts } from './format';

describe('memory in one unit', () => {
  it('shows an 80 GB card in GiB, as the fit does', () => {
    expect(gib(80e9)).toBe('74.5 GiB');
    expect(gib(85_899_345_920)).toBe('80.0 GiB');
  });
  it('shows vLLM’s concurrency with two decimals', () => {
    expect(times(1.6449)).toBe('1.64×');
  });
});

describe('progress figures', () => {
  it('picks the unit that suits a size and keeps a total’s unit for the part done', () => {
    expect(size(512_000)).toBe('512 kB');
    expect(size(48_300_000)).toBe('48.3 MB');
    expect(sizeOf(1.2e9, 4.9e9)).toBe('1.2 / 4.9 GB');
    expect(sizeOf(3e6, null)).toBe('3.0 MB');
    expect(speed(85_300_000)).toBe('85.3 MB/s');
  });
  it('clamps fractions and rounds percentages', () => {
    expect(fraction(5, 0)).toBe(0);
    expect(fraction(12, 10)).toBe(1);
    expect(percent(41.6)).toBe('42 %');
    expect(watts(99.5)).toBe('99.5 W');
    expect(watts(300.4)).toBe('300 W');
  });
});

describe('times', () => {
  it('says spans coarsely and never in the future', () => {
    expect(duration(7_000)).toBe('7 s');
    expect(duration(185_000)).toBe('3 min 5 s');
    expect(duration(2 * 3600_000 + 600_000)).toBe('2 h 10 min');
    expect(duration(-5)).toBe('0 s');
    expect(ago(500)).toBe('just now');
    expect(ago(12_000)).toBe('12 s ago');
  });
});

describe('latency', () => {
  it('keeps the digits that matter at every scale', () => {
    expect(latency(0.3125)).toBe('0.31 ms');
    expect(latency(4.24)).toBe('4.2 ms');
    expect(latency(412.4)).toBe('412 ms');
    expect(latency(2410)).toBe('2.41 s');
  });
});

describe('sentence', () => {
  it('starts with a capital and ends with a full stop, once', () => {
    expect(sentence('the weights are not downloaded')).toBe('The weights are not downloaded.');
    expect(sentence('vLLM is not installed: install it.')).toBe('vLLM is not installed: install it.');
    expect(sentence('the hardware is described (1xL4)')).toBe('The hardware is described (1xL4).');
    expect(sentence(' (none) ')).toBe('(none).');
    expect(sentence('')).toBe('');
  });

  it('capitalizes a plain first word, never a name', () => {
    expect(capitalized('weights complete')).toBe('Weights complete');
    expect(capitalized('vLLM 0.11.0 installed')).toBe('vLLM 0.11.0 installed');
    expect(capitalized('NVML answered')).toBe('NVML answered');
  });
});
