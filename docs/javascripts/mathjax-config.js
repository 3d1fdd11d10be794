// MathJax configuration for pymdownx.arithmatex (generic mode): typeset only the spans and
// blocks arithmatex marks, with \( \) and \[ \] delimiters. Loaded before the bundled
// MathJax (docs/javascripts/mathjax/tex-svg-full.js, MathJax 3.2.2, SVG output: one file,
// no web fonts, no network), so the site shows formulas offline.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  },
  loader: { load: [] }
};

// mkdocs-material's instant navigation swaps pages without a reload: typeset again.
if (typeof document$ !== "undefined") {
  document$.subscribe(function () {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
