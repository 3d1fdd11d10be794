"""The documentation renders offline (no script from the network) and the citation file is
well formed."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _mkdocs_config() -> dict:
    # mkdocs.yml may hold !!python tags (none today); a plain safe load must read it.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_script_of_the_site_is_bundled():
    config = _mkdocs_config()
    scripts = config.get("extra_javascript", [])
    assert scripts, "the site needs MathJax"
    for script in scripts:
        path = script if isinstance(script, str) else script["path"]
        assert "://" not in path and not path.startswith("//"), f"{path} comes from the network"
        assert (ROOT / "docs" / path).is_file(), f"docs/{path} is missing"
    bundled = (ROOT / "docs" / "javascripts" / "mathjax" / "tex-svg-full.js").read_text(
        encoding="utf-8"
    )
    assert 'VERSION="3.2.2"' in bundled  # the version SOURCE.txt names
    assert (ROOT / "docs" / "javascripts" / "mathjax" / "LICENSE").is_file()
    assert "arithmatex" in (ROOT / "docs" / "javascripts" / "mathjax-config.js").read_text()


def test_related_libraries_page_is_in_the_nav():
    nav = _mkdocs_config()["nav"]
    assert {"Related libraries": "related.md"} in nav
    text = (ROOT / "docs" / "related.md").read_text(encoding="utf-8")
    for name in ("InformationDesignMARL", "Bhatt", "lewis_signaling"):
        assert name in text


def test_citation_file_has_the_required_cff_fields():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff[key], key
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    version = {}
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version = "):
            version["project"] = line.split('"')[1]
            break
    assert str(cff["version"]) == version["project"]
