"""The documentation site (mkdocs.yml, docs/, scripts/docs_pages.py): every registered check has a
page generated from the registry, a page names no config key its check lacks, a cached figure
whose check changed is reported stale and a missing one is said on the page, every public name
has a docstring. The fast tests run the page generator without building; ``-m slow`` builds the
site in strict mode (executing the tutorials) and inspects the HTML (CI builds it anyway, after
the tests: .ci/run)."""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import theorycheck

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import docs_pages  # noqa: E402

EXAMPLE = ROOT / "examples" / "min_norm" / "min_norm_check.py"


@pytest.fixture(scope="module")
def generated():
    return docs_pages.generate()


def test_every_registered_check_has_a_page(generated):
    pages = generated["pages"]
    missing = [name for name in theorycheck.registry() if f"checks/{name}.md" not in pages]
    assert not missing, f"registered checks without a documentation page: {missing}"
    assert "checks/index.md" in pages
    for name in theorycheck.registry():
        assert f"]({name}.md)" in pages["checks/index.md"], f"{name} is not linked from the checks' index"


def test_a_page_names_exactly_its_checks_config_keys(generated):
    for name, check in theorycheck.registry().items():
        page = generated["pages"][f"checks/{name}.md"]
        fields = {f.name for f in dataclasses.fields(check.config_type)}
        named = docs_pages.keys_named_in_page(page)
        assert named == fields, f"{name}: the page's config table names {sorted(named ^ fields)} wrongly"
        set_keys = set(re.findall(r"--set ([a-z_]\w*)=", page)) | set(re.findall(r"--grid ([a-z_]\w*)=", page))
        assert set_keys <= fields, f"{name}: the page's commands set keys the check lacks: {set_keys - fields}"
        for overrides in check.negative_controls:
            assert docs_pages.control_command(name, overrides) in page


def test_the_figure_cache_is_reported(generated):
    report = generated["report"]
    assert sorted(sum(report.values(), [])) == sorted(theorycheck.registry())
    # not a failure: a check merged after the last `python scripts/docs_figures.py` has no figure yet
    print(f"\nchecks without a cached figure: {report['missing']}\nchecks with a stale figure: {report['stale']}")
    for name in report["missing"]:
        assert "No figure cached for this check yet" in generated["pages"][f"checks/{name}.md"]
    for name in report["fresh"] + report["stale"]:
        assert f"checks/figures/{name}.png" in generated["images"]
        assert f"](figures/{name}.png)" in generated["pages"][f"checks/{name}.md"]


def test_a_changed_check_module_makes_its_figure_stale(tmp_path):
    check = theorycheck.get_check("gd_quadratic")
    (tmp_path / "gd_quadratic").mkdir()
    shutil.copyfile(ROOT / "docs" / "_cache" / "gd_quadratic" / "figure.png", tmp_path / "gd_quadratic" / "figure.png")
    record = {"outcome": "pass", "reason": "error 1e-14 <= tolerance 4e-11", "seed": 0, "source_sha256": "0" * 64}
    (tmp_path / "gd_quadratic" / "record.json").write_text(json.dumps(record))
    assert docs_pages.cache_state(check, tmp_path)[0] == "stale"
    page = docs_pages.check_page(check, "built-in", theorycheck.registry(), tmp_path)
    assert "Stale figure" in page and "scripts/docs_figures.py gd_quadratic" in page
    record["source_sha256"] = docs_pages.source_hash(check)
    (tmp_path / "gd_quadratic" / "record.json").write_text(json.dumps(record))
    assert docs_pages.cache_state(check, tmp_path)[0] == "fresh"
    assert "Stale figure" not in docs_pages.check_page(check, "built-in", theorycheck.registry(), tmp_path)
    assert docs_pages.cache_state(check, tmp_path / "elsewhere")[0] == "missing"
    assert "No figure cached" in docs_pages.check_page(check, "built-in", {}, tmp_path / "elsewhere")


def test_the_figure_generator_caches_a_fresh_figure_and_record(tmp_path):
    import docs_figures

    assert docs_figures.main(["gd_quadratic", "--cache", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "gd_quadratic" / "record.json").read_text())
    assert record["outcome"] == "pass" and record["command"] == "theorycheck run gd_quadratic --seed 0"
    assert record["source_sha256"] == docs_pages.source_hash(theorycheck.get_check("gd_quadratic"))
    assert record["provenance"]["versions"]["jax"] and record["config"]["steps"] == 100
    assert docs_pages.cache_state(theorycheck.get_check("gd_quadratic"), tmp_path)[0] == "fresh"
    assert (tmp_path / "gd_quadratic" / "figure.png").stat().st_size < 200_000


def test_every_public_name_has_a_docstring():
    pytest.importorskip("griffe", reason='the docs extra: pip install -e ".[docs]" (CI builds the site anyway)')
    assert docs_pages.undocumented_public_names() == []


def test_cross_references_in_check_pages_name_public_objects(generated):
    paths = set(docs_pages._public_paths().values())
    for path, page in generated["pages"].items():
        for target in re.findall(r"\]\[(theorycheck[\w.]*)\]", page):
            assert target in paths, f"{path}: cross-reference to {target}, not a public name"


def test_family_pages_list_their_checks_and_what_each_verified():
    checks = theorycheck.registry()
    for family, (_, names) in docs_pages.FAMILIES.items():
        page = docs_pages.expand_family_markers((ROOT / "docs" / "families" / f"{family}.md").read_text(), checks)
        assert "<!-- family-" not in page, family
        for name in names:
            assert page.count(f"](../checks/{name}.md)") == 2, f"{family}: {name} not in its table and its list"
    said = docs_pages.provenance_sentences(checks["bn_scale_invariance"])
    assert said and said[0].startswith("Verified against the source") and said[0].endswith(".")


def test_sphinx_roles_become_links_or_code():
    checks = {"edge_of_stability": None}
    text = docs_pages.markdown_of_docstring(
        ":func:`dynamics.sgd` :mod:`.edge_of_stability` :func:`overflow_window` θ* *kept* **bold**", checks)
    assert "[`dynamics.sgd`][theorycheck.dynamics.sgd]" in text
    assert "[`edge_of_stability`](edge_of_stability.md)" in text
    assert "`overflow_window`" in text and ":func:" not in text
    assert "θ\\*" in text and "*kept*" in text and "**bold**" in text


def test_shared_parameter_entries_are_split():
    pytest.importorskip("griffe", reason='the docs extra: pip install -e ".[docs]" (CI builds the site anyway)')
    sys.path.insert(0, str(ROOT / "docs"))
    from _griffe_split_params import split_shared_entries

    text = "Run it.\n\nArgs:\n  lr, lam: the step size and the weight decay.\n  x: data.\n\nReturns:\n  a, b: kept."
    assert split_shared_entries(text).splitlines()[3:5] == ["  lr: the step size and the weight decay.",
                                                           "  lam: the step size and the weight decay."]
    assert "  a, b: kept." in split_shared_entries(text)


def test_a_plugin_check_gets_a_page():
    # a subprocess: the user's check is registered there, not in this test session's registry
    code = ("import sys; sys.path.insert(0, 'scripts'); import docs_pages; "
            "page = docs_pages.generate()['pages']['checks/min_norm.md']; print(page)")
    env = {**os.environ, "THEORYCHECK_IMPORT": str(EXAMPLE)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "# `min_norm`" in out.stdout and "file min_norm_check.py" in out.stdout
    assert f"--import {EXAMPLE}" in out.stdout and "`offset`" in out.stdout
    assert "theorycheck run min_norm --set offset=1.0" in out.stdout


# ------------------------------------------------------------------------------ the built site

def _built_site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs", reason='the docs extra: pip install -e ".[docs]"')
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return _built_site(tmp_path_factory)


@pytest.mark.slow
def test_the_site_builds_strict_and_renders(site):
    page = (site / "checks" / "gd_quadratic" / "index.html").read_text()
    for src in re.findall(r'<img[^>]+src="([^"]+)"', page):
        assert (site / "checks" / "gd_quadratic" / src).resolve().is_file(), src
    assert "figures/gd_quadratic.png" in page and "Verdict:" in page
    assert 'class="highlight"' in page  # the reproduce block, highlighted
    family = (site / "families" / "edge_of_stability" / "index.html").read_text()
    assert 'class="arithmatex"' in family and "katex.min.js" in family and "katex-render.js" in family
    assert (site / "javascripts" / "katex" / "katex.min.js").is_file()
    api = (site / "api" / "dynamics" / "index.html").read_text()
    assert 'id="theorycheck.dynamics.gradient_descent"' in api and 'id="theorycheck.dynamics.STATUS_DIVERGED"' in api
    for tutorial in ("first_run", "sweeps", "library", "own_check"):
        html = (site / "tutorials" / tutorial / "index.html").read_text()
        assert "Traceback" not in html, tutorial
    for tutorial in ("first_run", "sweeps", "library"):
        assert 'src="data:image/png;base64,' in (site / "tutorials" / tutorial / "index.html").read_text(), tutorial
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert any("gradient_oscillation" in doc["location"] for doc in index["docs"])


@pytest.mark.slow
def test_a_browser_shows_formulas_figures_highlighting_and_search(site, tmp_path):
    """Headless Chromium (Debian's ``chromium`` package, driven by playwright) on a served copy of
    the site: a family page's formulas rendered by KaTeX, a check page's figure loaded, an API
    page's code highlighted, the search finding a check; a screenshot of each."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (driver only)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium: apt-get install chromium")
    server = subprocess.Popen([sys.executable, "-m", "http.server", "0", "-b", "127.0.0.1", "-d", str(site)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = int(re.search(r"port (\d+)", server.stdout.readline())[1])
        base = f"http://127.0.0.1:{port}"
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            failed = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(f"{base}/families/edge_of_stability/")
            page.wait_for_load_state("networkidle")
            assert page.locator(".arithmatex .katex").count() >= 5 and page.locator(".katex-error").count() == 0
            page.screenshot(path=str(tmp_path / "family.png"))
            page.goto(f"{base}/checks/gd_quadratic/")
            page.wait_for_load_state("networkidle")
            loaded = page.evaluate("Array.from(document.querySelectorAll('article img'))"
                                   ".filter(i => i.complete && i.naturalWidth > 0).length")
            assert loaded >= 1
            page.screenshot(path=str(tmp_path / "check.png"))
            page.goto(f"{base}/api/dynamics/")
            page.wait_for_load_state("networkidle")
            assert page.locator(".highlight span").count() > 50
            page.locator("input.md-search__input").click()
            page.keyboard.type("oscillation", delay=30)
            page.wait_for_selector(".md-search-result__item", timeout=15_000)
            assert "gradient_oscillation" in page.locator(".md-search-result__item").first.inner_text()
            page.screenshot(path=str(tmp_path / "search.png"))
            browser.close()
        assert not failed, f"requests that failed (an offline site fetches nothing from outside): {failed}"
    finally:
        server.terminate()
        server.wait()


def test_a_pages_generated_sweep_grid_holds_only_values_its_check_accepts():
    """central_flow's lr range is [0.08, 0.2] but its default tanh net validates lr <= 0.11: the
    generated sweep grid (default/2, default, 1.5·default, clipped to the range) must drop 0.15."""
    for name, check in theorycheck.registry().items():
        command = docs_pages.sweep_command(check)
        for key, text in re.findall(r"--grid ([a-z_]\w*)=([^\s\"]+)", command):
            if ":" in text or key not in check.data_keys:
                continue  # a recipe's grid (scripts/figures.py runs it) or a lin:/log: spec
            for value in text.split(","):
                theorycheck.make_config(check, {key: value})  # raises on an inadmissible value
    assert "lr=0.08,0.1 " in docs_pages.sweep_command(theorycheck.get_check("central_flow"))
