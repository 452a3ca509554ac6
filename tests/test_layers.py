"""The layer rules of docs/architecture.md, read from the source (AST).

* validation, examples, benchmarks -> kwant_noneq.systems -> kwant_noneq ->
  kwant, numpy, scipy: the engine never imports kwant_noneq.systems or
  validation; systems never import validation.
* Inside kwant_noneq a module imports only modules of its own layer or a
  lower one (``LAYERS``, the table of docs/architecture.md), and the import
  graph has no cycle (imports inside functions count).
* Tests and benchmarks do not import validation (the tests of validation
  itself excepted) nor another module's private (underscore) names;
  neither does any other code of the project.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: The layers of kwant_noneq's modules, lowest first (docs/architecture.md).
LAYERS = {
    "base": ["__init__", "constants", "checks", "params", "pauli", "blas"],
    "primitives": ["quadrature", "refinement", "bandedges", "triangles",
                   "factorization", "mixing", "thermal", "coulomb", "occupation",
                   "bloch", "geometry", "kintegrate"],
    "engines": ["scattering", "density", "transverse", "transverse_homogeneous",
                "region", "exchange",
                "meanfield", "scf",
                "homogeneous", "edge", "control_variate",
                "transport", "dephasing", "polarization", "nonlinear_hall", "drag",
                "analytic", "analytic_nonlinear_hall", "analytic_drag",
                "analytic_surface", "driven"],
    "drivers": ["ensemble"],
}
LEVEL = {m: i for i, mods in enumerate(LAYERS.values()) for m in mods}
LAYER_NAME = {m: name for name, mods in LAYERS.items() for m in mods}

#: Tests of the validation package itself: they import it by necessity.
VALIDATION_TESTS = {"tests/test_validation_records.py"}

#: Files that still break a rule, and why; each is to be fixed, not extended.
KNOWN = {}


def _report(bad):
    """Fail on violations outside KNOWN; xfail when only known ones remain."""
    new = [b for b in bad if b.split(":")[0] not in KNOWN]
    assert not new, "\n".join(new)
    if bad:
        files = sorted({b.split(":")[0] for b in bad})
        pytest.xfail("; ".join(f"{f}: {KNOWN[f]}" for f in files))


def _files(folder):
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path):
    """Dotted name a file is imported as (systems/ is kwant_noneq.systems)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "systems":
        parts = ["kwant_noneq"] + parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path):
    """``(line, module, names)`` for every import in a file; relative
    imports resolved, ``names`` the imported names (empty for ``import``)."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            out.append((node.lineno, module, tuple(a.name for a in node.names)))
    return out


def _private_uses(path):
    """Places where a file uses another module's private name: ``from m
    import _x``, ``import m._x`` or ``m._x`` with ``m`` an imported project
    module (dunder names are public)."""
    def private(name):
        return name.startswith("_") and not name.startswith("__")

    def project(module):
        return module.split(".")[0] in ("kwant_noneq", "systems", "validation") \
            or module.startswith("tests")

    own = _module_name(path)
    found, aliases = [], {}
    tree = ast.parse(path.read_text(), str(path))
    for line, module, names in _imports(path):
        if not project(module) or module == own:
            continue
        if any(private(part) for part in module.split(".")):
            found.append(f"{line}: import {module}")
        found += [f"{line}: from {module} import {n}" for n in names if private(n)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if project(a.name):
                    aliases[a.asname or a.name.split(".")[0]] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and project(node.module):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and private(node.attr)
                and isinstance(node.value, ast.Name) and node.value.id in aliases):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def _engine_graph():
    graph = {}
    for path in (ROOT / "kwant_noneq").glob("*.py"):
        deps = set()
        for _, module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "kwant_noneq":
                continue
            if len(parts) > 1:
                deps.add(parts[1])
            else:
                deps.update(names)
        graph[path.stem] = deps - {path.stem}
    return graph


def test_every_engine_module_has_a_layer():
    missing = sorted(set(_engine_graph()) - set(LEVEL))
    assert not missing, (f"modules {missing} have no layer: add them to LAYERS here "
                         "and to the table in docs/architecture.md")


def test_engine_imports_go_down_only():
    bad = [f"kwant_noneq.{m} ({LAYER_NAME[m]}) imports kwant_noneq.{d} ({LAYER_NAME[d]})"
           for m, deps in _engine_graph().items() for d in deps
           if m in LEVEL and d in LEVEL and LEVEL[d] > LEVEL[m]]
    assert not bad, "\n".join(bad)


def test_no_import_cycles_in_the_engine():
    graph = _engine_graph()
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(cycles)


def _violations(folders, forbidden):
    bad = []
    for folder in folders:
        for path in _files(folder):
            rel = path.relative_to(ROOT).as_posix()
            for line, module, _ in _imports(path):
                if any(module == f or module.startswith(f + ".") for f in forbidden(rel)):
                    bad.append(f"{rel}:{line} imports {module}")
    return bad


def test_engine_never_imports_systems_or_validation():
    def forbidden(rel):
        return ("kwant_noneq.systems", "systems", "validation", "tests")
    bad = _violations(["kwant_noneq"], forbidden)
    assert not bad, "\n".join(bad)


def test_systems_never_import_validation():
    bad = _violations(["systems"], lambda rel: ("validation", "tests", "systems"))
    assert not bad, "\n".join(bad)


def test_systems_are_imported_by_their_installed_name():
    """One name: kwant_noneq.systems (the top-level `systems` is not installed)."""
    folders = ["kwant_noneq", "validation", "examples", "benchmarks", "tests", "scripts"]
    bad = _violations(folders, lambda rel: ("systems",))
    assert not bad, "\n".join(bad)


def test_tests_and_benchmarks_do_not_import_validation():
    def forbidden(rel):
        return () if rel in VALIDATION_TESTS else ("validation",)
    _report(_violations(["tests", "benchmarks", "examples"], forbidden))


@pytest.mark.parametrize("folder", ["kwant_noneq", "systems", "validation", "examples",
                                    "benchmarks", "tests", "scripts"])
def test_no_private_names_of_other_modules(folder):
    _report([f"{p.relative_to(ROOT).as_posix()}:{u}"
             for p in _files(folder) for u in _private_uses(p)])
