"""The package's folders are its layers: a module's folder says what it may import.

Read from the source (``ast``), so a lazy import inside a function counts as much as one at the
top: the rule is about what a layer knows, not about when it learns it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "smtpdiag"

# layer -> smtpdiag sub-packages it must never import
FORBIDDEN = {
    "core": {"net", "cli", "render", "fakeserver", "exporter"},
    "catalogue": {"core", "net", "cli", "render", "fakeserver", "exporter"},
    "net": {"cli", "render"},
    "render": {"net", "cli"},
    "exporter": {"cli"},
}
# third-party modules a layer must never import
FORBIDDEN_LIBS = {
    "core": {"asyncio", "socket", "ssl", "aiosmtplib", "dns", "typer", "rich"},
    "catalogue": {"asyncio", "socket", "typer", "rich"},
    "net": {"typer", "rich"},
    "render": {"typer", "asyncio", "aiosmtplib"},
    "fakeserver": {"typer", "rich"},
    "exporter": {"typer", "rich"},
}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as an absolute dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative_to = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = list(relative_to if path.name == "__init__.py" else relative_to[:-1])
    if path.name == "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
                if node.module:
                    found.add(stem)
                else:
                    found.update(f"{stem}.{alias.name}" for alias in node.names)
            elif node.module:
                found.add(node.module)
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(layer: str) -> None:
    assert modules_of(layer), f"no modules in smtpdiag/{layer}"
    offenders = []
    for path in modules_of(layer):
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "smtpdiag" and len(parts) > 1 and parts[1] in FORBIDDEN[layer]:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_LIBS))
def test_a_layer_never_imports_what_belongs_to_another(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules_of(layer)
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN_LIBS[layer]
    ]
    assert offenders == []


def test_the_rule_reader_resolves_relative_and_lazy_imports() -> None:
    """The checker itself: relative imports, top-level and inside functions, become absolute."""
    assert {"smtpdiag.model", "smtpdiag.catalogue"} <= imported_modules(
        PACKAGE / "core" / "annotate.py")
    # cli/probe.py imports net.probe only inside its command function
    assert "smtpdiag.net.probe" in imported_modules(PACKAGE / "cli" / "probe.py")
