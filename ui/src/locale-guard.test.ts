import { afterEach, describe, expect, it, vi } from 'vitest';

describe('the locale guard', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('gives number formatting a language it accepts when the system says "C"', async () => {
    vi.stubGlobal('navigator', { language: 'C' });
    expect(() => new Intl.NumberFormat(navigator.language)).toThrow();
    await import('./locale-guard');
    expect(navigator.language).toBe('en-US');
    expect(() => new Intl.NumberFormat(navigator.language)).not.toThrow();
  });

  it('leaves a language that works as it is', async () => {
    vi.stubGlobal('navigator', { language: 'de-DE' });
    await import('./locale-guard');
    expect(navigator.language).toBe('de-DE');
  });
});
