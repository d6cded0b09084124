"""A griffe extension for the API reference: this code base documents parameters that share a
description on one Google-style line (``lr, lam: the step size and the weight decay``); griffe
would read that as one parameter named ``"lr, lam"`` and warn that it is not in the signature.
Here each such line becomes one entry per name, with the shared description."""

import re

import griffe

_SHARED = re.compile(r"^(?P<indent>\s+)(?P<names>[A-Za-z_]\w*(?:, [A-Za-z_]\w*)+):(?P<text>.*)$")
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Attributes|Other Parameters):\s*$")


def split_shared_entries(text: str) -> str:
    """The docstring ``text`` with each ``a, b: text`` entry of an Args-like section split in two."""
    out, inside = [], False
    for line in text.splitlines():
        if _SECTION.match(line):
            inside = True
        elif line and not line[0].isspace():
            inside = False
        match = _SHARED.match(line) if inside else None
        if match:
            out.extend(f"{match['indent']}{name}:{match['text']}" for name in match["names"].split(", "))
        else:
            out.append(line)
    return "\n".join(out)


class SplitSharedParameters(griffe.Extension):
    """Splits ``a, b: text`` parameter entries before griffe parses the docstring."""

    def on_instance(self, *, obj, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None and ", " in obj.docstring.value:
            obj.docstring.value = split_shared_entries(obj.docstring.value)


class SphinxRolesToMarkdown(griffe.Extension):
    """``:func:`dynamics.sgd``` becomes a cross-reference to the API reference where it names a
    public object, else inline code (the docstrings are written for ``theorycheck show`` and
    ``help()`` too, where roles read well); a star after a symbol (θ*) is escaped."""

    def on_instance(self, *, obj, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None:
            import sys
            from pathlib import Path

            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
            import docs_pages

            obj.docstring.value = docs_pages.markdown_of_docstring(obj.docstring.value)
