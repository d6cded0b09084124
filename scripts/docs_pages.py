"""The generated part of the documentation site: one page per registered check, the checks' index,
the family overviews' tables of checks, and the audit of the public API's docstrings.

Everything here is read from the registry (``theorycheck.registry()``: the built-ins, the installed
plugins and the files named in ``THEORYCHECK_IMPORT``), so a check is never described twice: its
page is its statement, source, origin, config table (:func:`theorycheck._check.describe_fields`),
negative controls and module docstring (what ``theorycheck show NAME`` prints), plus the figure
and the record of a real run at the default config from the committed cache
``docs/_cache/NAME/`` (written by ``python scripts/docs_figures.py``).

The mkdocs hook (``docs/_hooks.py``) calls :func:`generate` during the build; the fast test
(``theory_tests/test_docs.py``) calls it without building. ``python scripts/docs_pages.py``
prints which checks have no cached figure and which have a stale one (the check's module changed
since the figure was made).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))  # scripts/figures.py: the checks' headline sweeps
CACHE = ROOT / "docs" / "_cache"
PUBLIC_MODULES = ("theorycheck", "theorycheck.models", "theorycheck.dynamics", "theorycheck.bounds")

# The families of shared/THEORY.md, with the checks that test each family's claims. A check not
# listed here (a plugin, a new built-in) is listed under "Other checks" on the index page.
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "edge_of_stability": ("Edge of stability", ("gd_quadratic", "edge_of_stability", "central_flow", "gradient_oscillation",
                                                "layer_oscillation")),
    "kernel_rich": ("Kernel vs rich regime", ("kernel_rich", "kernel_rich_matrix", "kernel_rich_nonlinear")),
    "square_loss": ("Square loss and weight decay",
                    ("low_rank_bound", "low_rank_trends", "equal_layer_norms", "sgd_noise", "neural_collapse",
                     "norm_bounds", "compositional_sparsity")),
    "normalisation": ("Normalisation and initialisation",
                      ("bn_scale_invariance", "channel_norm_gradients", "dynamical_isometry", "isometry_curvature",
                       "dropout_decorrelation", "untrained_cs_recovery")),
    "wide": ("Wide networks and gradient geometry",
             ("gd_global_convergence", "deep_gd_convergence", "spline_implicit_bias", "synflow_conservation",
              "gradient_confusion", "soft_confusion")),
    "training_methods": ("Training methods: natural gradient, proximal SGD, population search, adversarial training",
                         ("natural_gradient_invariance", "proximal_small_batch", "population_search",
                          "fast_adversarial_bilevel")),
}


# ------------------------------------------------------------------------------------------ cache


def module_file(check) -> Path:
    """The source file of the module that defines the check (where its config dataclass lives)."""
    return Path(inspect.getsourcefile(sys.modules[check.config_type.__module__]))


def source_hash(check) -> str:
    """sha256 of the check's module source: a cached figure records it, and is stale once it differs."""
    return hashlib.sha256(module_file(check).read_bytes()).hexdigest()


def cache_state(check, cache: Path = CACHE) -> tuple[str, dict | None]:
    """``("missing" | "stale" | "fresh", record or None)`` of the check's cached default run."""
    record_path = cache / check.name / "record.json"
    if not record_path.is_file() or not (cache / check.name / "figure.png").is_file():
        return "missing", None
    record = json.loads(record_path.read_text())
    return ("fresh" if record.get("source_sha256") == source_hash(check) else "stale"), record


def cache_report(checks: Mapping[str, Any], cache: Path = CACHE) -> dict[str, list[str]]:
    """``{"missing": [...], "stale": [...], "fresh": [...]}``: the checks by the state of their figure."""
    report: dict[str, list[str]] = {"missing": [], "stale": [], "fresh": []}
    for name, check in checks.items():
        report[cache_state(check, cache)[0]].append(name)
    return report


# ------------------------------------------------------------------------------------ docstrings


@functools.lru_cache(maxsize=1)
def _public_paths() -> dict[str, str]:
    """``{short name: full path}`` for every public name: ``dynamics.sgd`` -> ``theorycheck.dynamics.sgd``."""
    paths = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        short = module_name.removeprefix("theorycheck").lstrip(".")
        for name in getattr(module, "__all__", ()):
            full = f"{module_name}.{name}"
            paths[full] = full
            paths[f"{short}.{name}" if short else name] = full
        paths[module_name] = module_name
        if short:
            paths[short] = module_name
    return paths


_ROLE = re.compile(r":(?:func|class|mod|data|attr|meth|obj|exc):`(~?)([^`]+)`")


def markdown_of_docstring(text: str, checks: Mapping[str, Any] = (), relative: str = "") -> str:
    """A docstring made Markdown: Sphinx roles become cross-references where they name a public
    object (``:func:`dynamics.sgd``` links to the API reference) or a check module
    (``:mod:`.edge_of_stability```), else inline code; RST's double backquotes are Markdown's code
    spans already; a star after a symbol (θ*) is escaped so that it is not read as emphasis."""
    public = _public_paths()

    def role(match: re.Match) -> str:
        tilde, target = match[1], match[2].strip()
        shown = target.rsplit(".", 1)[-1] if tilde else target.lstrip(".")
        if target.startswith(".") and target.lstrip(".") in checks:
            return f"[`{shown}`]({relative}{target.lstrip('.')}.md)"
        if target in public:
            return f"[`{shown}`][{public[target]}]"
        return f"`{shown}`"

    return _ROLE.sub(role, _escape_stars(text))


_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[A-Za-z])([^*\n]+?)(?<=[A-Za-z.)])\*(?![\w*])")


def _escape_stars(text: str) -> str:
    """A star after a symbol (θ*, w*) is a star, not emphasis: escaped; ``*words*`` and ``**bold**``
    stay, and so do code blocks (lines indented by 4, doctests) and inline code."""
    out, in_fence = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence or line.startswith("    ") or line.lstrip().startswith((">>>", "...")):
            out.append(line)
            continue
        parts = re.split(r"(``[^`]+``|`[^`]+`)", line)  # odd parts: inline code
        parts[::2] = [_escape_prose_stars(part) for part in parts[::2]]
        out.append("".join(parts))
    return "\n".join(out)


def _escape_prose_stars(text: str) -> str:
    spans: list[str] = []

    def keep(match: re.Match) -> str:
        spans.append(match[0])
        return f"\x00{len(spans) - 1}\x00"

    text = _EMPHASIS.sub(keep, text)
    text = re.sub(r"(?<=[^\s*\x00])\*(?!\*)", r"\\*", text)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m[1])], text)


def undocumented_public_names() -> list[str]:
    """Every name in the ``__all__`` of the public modules that the API reference would show without
    a docstring (griffe's static view, the one mkdocstrings renders): a function or class without
    one, or a constant with no docstring line after its assignment (or not found at all)."""
    import griffe

    loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    package = loader.load("theorycheck")
    loader.resolve_aliases(implicit=False, external=False)
    missing = []
    for module_name in PUBLIC_MODULES:
        module = package if module_name == "theorycheck" else package[module_name.split(".", 1)[1]]
        for name in getattr(importlib.import_module(module_name), "__all__", ()):
            try:
                target = module[name]
                target = target.final_target if target.is_alias else target
            except Exception:  # noqa: BLE001 (griffe cannot see it: a tuple assignment, a dynamic name)
                missing.append(f"{module_name}.{name} (not found by griffe: not shown in the API reference)")
                continue
            if target.docstring is None or not target.docstring.value.strip():
                missing.append(f"{module_name}.{name} ({target.filepath.relative_to(ROOT)}:{target.lineno})")
    return missing


# ----------------------------------------------------------------------------------------- pages


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _value_text(value: Any) -> str:
    from theorycheck.testing import _text

    return _text(value)


def config_table(check) -> str:
    """The check's config as a Markdown table (what ``theorycheck show`` prints)."""
    from theorycheck._check import describe_fields

    lines = ["| key | type | default | admissible | help |", "|---|---|---|---|---|"]
    for field in describe_fields(check):
        data = " (data)" if field["name"] in check.data_keys else ""
        lines.append(f"| `{field['name']}`{data} | {_cell(field['type'])} | `{_cell(_value_text(field['default']))}` "
                     f"| {_cell(field['admissible'])} | {_cell(field['help'])} |")
    return "\n".join(lines)


CONFIG_KEY_ROW = re.compile(r"^\| `([A-Za-z_]\w*)`(?: \(data\))? \|", re.M)


def keys_named_in_page(page: str) -> set[str]:
    """The config keys a generated page's config table names (what the test compares)."""
    return set(CONFIG_KEY_ROW.findall(page))


def control_command(name: str, overrides: Mapping[str, Any]) -> str:
    sets = " ".join(f"--set {k}={_value_text(v)}" for k, v in overrides.items())
    return f"theorycheck run {name} {sets}".rstrip()


def _import_flag(origin: str) -> str:
    """`` --import FILE`` for a check that came from a file or module (not a built-in or plugin)."""
    kind, _, what = origin.partition(" ")
    return f" --import {what}" if kind in ("file", "module") else ""


def _family_of(name: str) -> str | None:
    return next((key for key, (_, names) in FAMILIES.items() if name in names), None)


def _short_origin(origin: str) -> str:
    from theorycheck.cli import _short_origin as short

    return short(origin)


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _figure_section(check, cache: Path, state: str, record: dict | None, command: str) -> str:
    out = ["## A real run at the default config", ""]
    if state == "missing":
        out += ['!!! warning "No figure cached for this check yet"',
                f"    No run of `{check.name}` at its default config is in the documentation cache. "
                f"`python scripts/docs_figures.py {check.name}` makes one (the lead regenerates every "
                "check's before a release).", ""]
        return "\n".join(out)
    if state == "stale":
        out += ['!!! warning "Stale figure"',
                f"    `{module_file(check).relative_to(ROOT) if module_file(check).is_relative_to(ROOT) else module_file(check).name}` "
                f"changed after this figure was made (source sha256 {record.get('source_sha256', '?')[:12]} in the "
                f"cache, {source_hash(check)[:12]} now): the figure and the record below may not be what the code "
                f"does now. `python scripts/docs_figures.py {check.name}` remakes them.", ""]
    outcome = record.get("outcome", "?")
    prov = record.get("provenance") or {}
    versions, git = prov.get("versions") or {}, prov.get("git") or {}
    out += [f"![The figure of `{check.name}` at its default config, seed {record.get('seed')}](figures/{check.name}.png)",
            "",
            f"**Verdict: `{outcome.upper()}`** ({record.get('reason', '')})",
            "",
            "| predicted | measured | error | tolerance | seed | seconds |",
            "|---|---|---|---|---|---|",
            f"| {_number(record.get('predicted'))} | {_number(record.get('measured'))} | {_number(record.get('error'))} "
            f"| {_number(record.get('tolerance'))} | {record.get('seed')} | {_number(record.get('seconds'))} |",
            "",
            f"Made by `{record.get('command', command)}` with theorycheck {versions.get('theorycheck', '?')}, "
            f"jax {versions.get('jax', '?')} on {prov.get('backend', '?')} ({prov.get('device_count', '?')} device), "
            f"commit `{str(git.get('commit') or '?')[:10]}`{' (uncommitted changes)' if git.get('dirty') else ''}, "
            f"{prov.get('started', '?')}; {_number(record.get('seconds'))} s.",
            ""]
    if (cache / check.name / "sweep.png").is_file():
        sweep_cmd = record.get("sweep_command", "")
        out += ["### Sweep", "", f"![The sweep figure of `{check.name}`](figures/{check.name}_sweep.png)", ""]
        if sweep_cmd:
            out += [f"Made by `{sweep_cmd}`.", ""]
    return "\n".join(out)


def check_page(check, origin: str, checks: Mapping[str, Any], cache: Path = CACHE) -> str:
    """The Markdown page of one check."""
    from theorycheck.cli import _check_docstring

    name = check.name
    imp = _import_flag(origin)
    state, record = cache_state(check, cache)
    run_cmd = f"theorycheck run {name}{imp} --seed 0"
    family = _family_of(name)
    lines = [
        f"# `{name}`", "",
        f"> {check.statement}", "",
        f"- **Source:** {check.source}",
        f"- **Origin:** {_short_origin(origin)}",
        f"- **float64:** {'required (scoped to this check)' if check.needs_x64 else 'not required'}",
    ]
    if check.data_keys:
        batch = "`vmap`" if check.batching == "vmap" else "`lax.map` (event-stopped solves)"
        lines.append(f"- **Data keys:** {', '.join(f'`{k}`' for k in check.data_keys)} "
                     f"(traced: a sweep over them is one jitted {batch})")
    if family:
        lines.append(f"- **Family:** [{FAMILIES[family][0]}](../families/{family}.md)")
    lines += ["", _figure_section(check, cache, state, record, run_cmd), "## Reproduce", "", "```bash",
              f"theorycheck show {name}{imp}", "# the default config, as in the figure above", run_cmd]
    for overrides in check.negative_controls:
        lines += ["# a negative control: must FAIL (exit 1)", f"{control_command(name, overrides)}{imp}"]
    sweep = sweep_command(check, imp)
    if sweep:
        lines += ["# a sweep (its figure: NAME_sweep.png in --out)", sweep]
    lines += ["# hunt a counterexample inside the declared ranges", f"theorycheck falsify {name}{imp} --budget 12 --quick"]
    lines += ["```", "", "## Config", "",
              "Override any key with `--set KEY=VALUE`; *data* keys are traced (a sweep over them is one compile).",
              "", config_table(check), "", "## Negative controls", ""]
    if not check.negative_controls:
        lines.append("(none)")
    for overrides in check.negative_controls:
        lines.append(f"- `{control_command(name, overrides)}`: must end `fail`.")
    doc = _check_docstring(check)
    if doc:
        lines += ["", "## Statement, setup, derived tolerance, controls", "",
                  "The check's docstring, as `theorycheck show` prints it:", "",
                  markdown_of_docstring(_demote_headings(doc), checks)]
    return "\n".join(lines) + "\n"


def _admissible(check, key: str, value) -> bool:
    """Whether ``key=value`` with every other key at its default passes the check's validation."""
    from theorycheck import make_config

    try:
        make_config(check, {key: value})
    except ValueError:
        return False
    return True


def sweep_command(check, imp: str = "") -> str:
    """The check's headline sweep: its ``scripts/figures.py`` recipe where it has one, else a grid
    over its first data key around the default; empty when it has neither."""
    try:
        import figures

        recipe = next((r for r in figures.RECIPES if r.check == check.name), None)
    except ImportError:
        recipe = None
    if recipe is not None:
        grid = " ".join(f'--grid "{g}"' if ";" in g else f"--grid {g}" for g in recipe.grid)
        sets = " ".join(f"--set {s}" for s in recipe.sets)
        return " ".join(p for p in (f"theorycheck sweep {check.name}{imp}", grid, sets,
                                    f"--seeds {recipe.seeds} --out runs/{recipe.name}") if p)
    if not check.data_keys:
        return ""
    key = check.data_keys[0]
    field = next(f for f in dataclasses.fields(check.config_type) if f.name == key)
    default, low, high = field.default, field.metadata.get("low"), field.metadata.get("high")
    if isinstance(default, bool) or not isinstance(default, (int, float)) or not default:
        return ""
    values = sorted({min(max(v, low if low is not None else v), high if high is not None else v)
                     for v in (default / 2, default, default * 1.5)})
    if isinstance(default, int):
        values = sorted({int(round(v)) for v in values})
    values = [v for v in values if _admissible(check, key, v)]  # the check's validate, beyond the range
    if len(values) < 2:
        return ""
    text = ",".join(f"{v:g}" for v in values)
    return f"theorycheck sweep {check.name}{imp} --grid {key}={text} --seeds 3 --out runs/{check.name}"


def _demote_headings(text: str) -> str:
    """A docstring's first line is its title: keep it a paragraph, and never a page heading."""
    return re.sub(r"^(#+)", r"\\\1", text, flags=re.M)


def checks_index(checks: Mapping[str, Any], origins: Mapping[str, str], cache: Path = CACHE) -> str:
    report = cache_report(checks, cache)
    lines = ["# The checks", "",
             "One page per registered check, generated from the registry at build time: the built-ins, and "
             "the checks of every installed plugin (entry-point group `theorycheck.checks`) or file named in "
             "`THEORYCHECK_IMPORT`.", ""]
    placed = set()
    for key, (title, names) in FAMILIES.items():
        present = [n for n in names if n in checks]
        if not present:
            continue
        placed.update(present)
        lines += [f"## [{title}](../families/{key}.md)", "", "| check | statement | origin | figure |", "|---|---|---|---|"]
        lines += [_index_row(checks[n], origins[n], report) for n in present]
        lines.append("")
    others = [n for n in checks if n not in placed]
    if others:
        lines += ["## Other checks", "", "| check | statement | origin | figure |", "|---|---|---|---|"]
        lines += [_index_row(checks[n], origins[n], report) for n in others]
        lines.append("")
    return "\n".join(lines)


def _index_row(check, origin: str, report: Mapping[str, list[str]]) -> str:
    state = next(s for s, names in report.items() if check.name in names)
    return (f"| [`{check.name}`]({check.name}.md) | {_cell(check.statement)} | {_short_origin(origin)} "
            f"| {'cached' if state == 'fresh' else state} |")


def family_table(family: str, checks: Mapping[str, Any]) -> str:
    """The generated table of a family page: each check, its statement, source and controls."""
    lines = ["| check | statement | source | negative controls |", "|---|---|---|---|"]
    for name in FAMILIES[family][1]:
        if name in checks:
            check = checks[name]
            controls = "<br>".join(f"`{control_command(name, c).removeprefix('theorycheck run ' + name + ' ')}`"
                                   for c in check.negative_controls) or "(none)"
            lines.append(f"| [`{name}`](../checks/{name}.md) | {_cell(check.statement)} | {_cell(check.source)} "
                         f"| {controls} |")
    return "\n".join(lines)


_PROVENANCE = re.compile(r"verif|recall|\bsearch", re.I)


def provenance_sentences(check) -> list[str]:
    """The sentences of the check's docstring that say what was verified in the source, what is
    recalled, or what was searched."""
    from theorycheck.cli import _check_docstring

    text = " ".join(_check_docstring(check).split())
    return [s for s in re.split(r"(?<=[.])\s+(?=[A-Z(*])", text) if _PROVENANCE.search(s)]


def family_provenance(family: str, checks: Mapping[str, Any]) -> str:
    """Per check of the family: what its docstring says it verified or recalled, quoted."""
    lines = []
    for name in FAMILIES[family][1]:
        if name in checks:
            said = provenance_sentences(checks[name])
            quoted = " … ".join(markdown_of_docstring(s, checks, "../checks/") for s in said)
            lines.append(f"- [`{name}`](../checks/{name}.md): "
                         + (quoted or "its docstring names no source it checked (the claim is derived there)."))
    return "\n".join(lines)


FAMILY_MARKER = re.compile(r"<!-- family-(checks|provenance): (\w+) -->")


def expand_family_markers(markdown: str, checks: Mapping[str, Any]) -> str:
    """Replaces ``<!-- family-checks: KEY -->`` in a hand-written family page by its generated table
    and ``<!-- family-provenance: KEY -->`` by what each check's docstring says it verified."""
    return FAMILY_MARKER.sub(
        lambda m: (family_table if m[1] == "checks" else family_provenance)(m[2], checks), markdown)


def generate(cache: Path = CACHE) -> dict[str, Any]:
    """The generated pages and images: ``{"pages": {path: markdown}, "images": {path: source file},
    "report": {"missing"|"stale"|"fresh": [names]}}`` (paths relative to ``docs/``)."""
    from theorycheck import origin_of, registry

    checks = registry()
    origins = {name: origin_of(name) for name in checks}
    pages = {"checks/index.md": checks_index(checks, origins, cache)}
    images = {}
    for name, check in checks.items():
        pages[f"checks/{name}.md"] = check_page(check, origins[name], checks, cache)
        if cache_state(check, cache)[0] != "missing":
            images[f"checks/figures/{name}.png"] = cache / name / "figure.png"
            if (cache / name / "sweep.png").is_file():
                images[f"checks/figures/{name}_sweep.png"] = cache / name / "sweep.png"
    return {"pages": pages, "images": images, "report": cache_report(checks, cache), "checks": checks}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    result = generate()
    for state in ("missing", "stale"):
        names = result["report"][state]
        print(f"{state} figures ({len(names)}): {', '.join(names) or '-'}")
    print(f"fresh figures ({len(result['report']['fresh'])}); {len(result['pages'])} pages generated")
    missing = undocumented_public_names()
    print(f"public names without a docstring ({len(missing)}): {', '.join(missing) or '-'}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
