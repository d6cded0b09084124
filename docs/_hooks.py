"""mkdocs hooks: the pages generated from the registry (``scripts/docs_pages.py``) join the site.

- ``on_config``: the nav's "Checks" section lists every registered check; a public name (in the
  ``__all__`` of ``theorycheck``, ``models``, ``dynamics``, ``bounds``) without a docstring is a
  warning (an error in strict mode).
- ``on_files``: the check pages, the checks' index and the cached figures are added as generated
  files; missing and stale figures are logged (and said on their pages), never an error, so a
  check merged later does not block the build.
- ``on_page_markdown``: ``<!-- family-checks: KEY -->`` in a family page becomes its table.
"""

import logging
import os
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import docs_pages  # noqa: E402

log = logging.getLogger("mkdocs.hooks.theorycheck")
_STATE = {}


def on_config(config):
    # the tutorials' shell blocks call `theorycheck`: the one installed beside this Python
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    os.chdir(ROOT)  # and read and write paths relative to the repository root (runs/docs/, examples/)
    generated = docs_pages.generate()
    _STATE["generated"] = generated
    names = sorted(generated["checks"])
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Checks" in entry:
            entry["Checks"] = ["checks/index.md", *(f"checks/{n}.md" for n in names)]
    for name in docs_pages.undocumented_public_names():
        log.warning("public name without a docstring in the API reference: %s", name)
    report = generated["report"]
    if report["missing"]:
        log.info("checks without a cached figure (python scripts/docs_figures.py NAME): %s",
                 ", ".join(report["missing"]))
    if report["stale"]:
        log.info("checks whose cached figure is STALE (their module changed; the page says so): %s",
                 ", ".join(report["stale"]))
    return config


def on_files(files, config):
    generated = _STATE["generated"]
    for path, content in generated["pages"].items():
        files.append(File.generated(config, path, content=content))
    for path, source in generated["images"].items():
        files.append(File.generated(config, path, abs_src_path=str(source)))
    return files


def on_page_markdown(markdown, page, config, files):
    return docs_pages.expand_family_markers(markdown, _STATE["generated"]["checks"])
