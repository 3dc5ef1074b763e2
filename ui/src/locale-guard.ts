// Imported before anything that formats numbers when its module loads (uPlot does). Under
// `LANG=C` (CI, minimal machines, ssh sessions) WebKitGTK reports `navigator.language` as
// "C", which `Intl.NumberFormat` refuses with an exception that would stop the page from
// loading; the page then reads "en-US" instead.

function usable(language: string): boolean {
  try {
    new Intl.NumberFormat(language);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== 'undefined' && !usable(navigator.language)) {
  Object.defineProperty(navigator, 'language', { value: 'en-US', configurable: true });
}

export {};
