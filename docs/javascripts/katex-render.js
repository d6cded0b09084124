// Renders the arithmatex spans (\( … \) inline, \[ … \] display) with the vendored KaTeX,
// on every page load and on Material's instant navigation.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
});
