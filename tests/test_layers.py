"""Imports go one way, checked on the source with `ast` (no import runs, no Brian).

Layers, bottom to top; a module imports only from its own layer or below, and packages never import each other in
a circle (within a layer either). Lazy (function-level) imports count like top-level ones, and so do
`importlib.import_module("brian2_harness....")` calls. A lazy import of a module that is loaded anyway whenever
the importer is (its top-level imports reach it) defers nothing and is flagged too. No module has more than
400 lines; no `_underscore` name is imported from another package; only `cli` builds argument parsers (so every
command's options are in one place, and the docs generate the command-line reference from `cli.build_parser()`).
docs/architecture.md explains the layers.

The same `problems()` checks the project and, as negative controls, small trees with one injected fault each.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOTS = {"brian2_harness": REPO / "harness", "brian2_harness.models": REPO / "models"}
TOP = "brian2_harness"
# Units (the package's top-level modules and subpackages; "" is the package's own __init__) by layer, bottom first.
LAYERS = (
    ("", "errors", "atomic", "versions", "verdicts", "commalist", "nonfinite", "outputs", "nofollow", "plumbing",
     "cells", "documents", "families", "devices", "registry", "models", "variant_sources"),
    ("run",),
    ("check",),
    ("reports", "upgrade", "tools", "fuzz"),
    ("cli", "__main__", "entry"),
)
MAX_LINES = 400
MAX_FUNCTION_LINES = 60     # longer only with the reason in its docstring: "Long because ..."
LONG_REASON = "Long because"
# Units that must not import each other although the layers would allow it: check runs on the plumbing below both
# commands (plumbing/), never on run's machinery.
FORBIDDEN = (("check", "run"),)
PARSER_UNIT = "cli"      # the only unit that builds argument parsers
PARSER_CALLS = ("ArgumentParser", "add_parser", "add_subparsers", "add_argument", "add_argument_group",
                "add_mutually_exclusive_group")


@dataclass(frozen=True)
class Import:
    source: str        # importing module
    target: str        # imported project module
    lazy: bool         # inside a function: runs when called, not when `source` is imported
    line: int
    names: tuple[str, ...] = ()


def module_files(roots: dict[str, Path]) -> dict[str, Path]:
    """Module name -> file, for every .py file under the roots (a nested root belongs to its own prefix)."""
    nested = {Path(r).resolve() for r in roots.values()}
    out = {}
    for prefix, root in roots.items():
        root = Path(root).resolve()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if (Path(dirpath) / d).resolve() not in nested - {root}
                           and d != "__pycache__"]
            for f in filenames:
                if f.endswith(".py"):
                    parts = list((Path(dirpath) / f).relative_to(root).with_suffix("").parts)
                    if parts[-1] == "__init__":
                        parts = parts[:-1]
                    out[".".join([prefix, *parts])] = Path(dirpath) / f
    return out


def _resolve(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _dynamic_target(node: ast.Call) -> ast.expr | None:
    """The module argument of `importlib.import_module(...)` / `import_module(...)` / `__import__(...)`."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    return node.args[0] if name in ("import_module", "__import__") and node.args else None


def imports_of(module: str, path: Path, modules) -> tuple[list[Import], list[str]]:
    """The project imports of one module, and the problems found on the way (imports the scan cannot resolve)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found, problems = [], []

    def add(target, lazy, line, names=()):
        if target == TOP or target.startswith(TOP + "."):
            resolved = _resolve(target, modules)
            if resolved and resolved != module:
                found.append(Import(module, resolved, lazy, line, tuple(names)))

    def visit(node, lazy):
        if isinstance(node, ast.Import):
            for a in node.names:
                add(a.name, lazy, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for a in node.names:
                sub = f"{base}.{a.name}"
                add(sub, lazy, node.lineno) if sub in modules else add(base, lazy, node.lineno, (a.name,))
        elif isinstance(node, ast.Call) and (arg := _dynamic_target(node)) is not None:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                add(arg.value, lazy, node.lineno)
            elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant) \
                    and str(arg.values[0].value).startswith(TOP):
                problems.append(f"{module}:{node.lineno}: dynamic import of a computed project module name "
                                f"(the scan cannot follow it; import the modules by name)")
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found, problems


def unit_of(module: str) -> str:
    """The layered unit of a module: brian2_harness.run.slots -> run; brian2_harness.models.x -> models."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _loaded_with(module: str, top_edges: dict[str, set[str]]) -> set[str]:
    """Modules certainly loaded once `module` is: its parent packages and what their top-level imports reach."""
    parts = module.split(".")
    todo = [".".join(parts[:k]) for k in range(1, len(parts) + 1)]
    seen = set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(top_edges.get(m, ()))
            todo.extend(".".join(m.split(".")[:k]) for k in range(1, m.count(".") + 1))
    return seen


def parser_lines(path: Path) -> list[int]:
    """Lines where a module imports argparse or builds a parser (pytest's `addoption` is not argparse's API)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names)
                or isinstance(node, ast.ImportFrom) and node.module == "argparse"):
            out.append(node.lineno)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in PARSER_CALLS:
                out.append(node.lineno)
    return sorted(set(out))


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions of more than `limit` lines whose docstring does not say why ("Long because ...")."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > limit and LONG_REASON not in (ast.get_docstring(node) or ""):
                out.append(f"{node.name} ({n} lines, at most {limit} without '{LONG_REASON} ...' in its docstring)")
    return out


def problems(roots: dict[str, Path] = ROOTS, layers=LAYERS, max_lines: int = MAX_LINES,
             parser_unit: str = PARSER_UNIT, forbidden=FORBIDDEN) -> list[str]:
    modules = module_files(roots)
    layer_of = {unit: k for k, units in enumerate(layers) for unit in units}
    out, imports = [], []
    for module, path in sorted(modules.items()):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > max_lines:
            out.append(f"{module}: {n} lines (at most {max_lines})")
        out += [f"{module}: function {f}" for f in long_functions(path)]
        if unit_of(module) not in layer_of:
            out.append(f"{module}: unit '{unit_of(module)}' is in no layer (add it to LAYERS)")
        if unit_of(module) != parser_unit:
            out += [f"{module}:{line}: argument parser outside {parser_unit}/ (options belong in {parser_unit}/)"
                    for line in parser_lines(path)]
        found, unresolved = imports_of(module, path, modules)
        imports += found
        out += unresolved
    module_edges, unit_edges, top_edges = {}, {}, {}
    for imp in imports:
        src, dst = unit_of(imp.source), unit_of(imp.target)
        module_edges.setdefault(imp.source, set()).add(imp.target)
        if not imp.lazy:
            top_edges.setdefault(imp.source, set()).add(imp.target)
        if src != dst:
            unit_edges.setdefault(src, set()).add(dst)
        if src in layer_of and dst in layer_of and layer_of[dst] > layer_of[src]:
            out.append(f"{imp.source}:{imp.line}: imports {imp.target} from a higher layer "
                       f"('{dst}' is above '{src}')")
        if (src, dst) in forbidden:
            out.append(f"{imp.source}:{imp.line}: imports {imp.target}: '{src}' must not import '{dst}'")
        private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
        if imp.target.rpartition(".")[2].startswith("_") and not imp.target.endswith("__"):
            private.append(imp.target)
        if private and src != dst:
            out.append(f"{imp.source}:{imp.line}: imports the private name {', '.join(private)} from "
                       f"package '{dst}'")
    for imp in imports:
        if imp.lazy and imp.target in _loaded_with(imp.source, top_edges):
            out.append(f"{imp.source}:{imp.line}: lazy import of {imp.target} defers nothing "
                       f"(it is loaded whenever {imp.source} is): import it at the top")
    out += [f"import cycle between modules: {' <-> '.join(c)}" for c in cycles(module_edges)]
    out += [f"import cycle between packages: {' <-> '.join(u or TOP for u in c)}" for c in cycles(unit_edges)]
    return out


def test_the_project_imports_go_one_way():
    assert problems() == []


def test_every_layered_unit_exists():
    """A renamed package must be renamed in LAYERS too (else the layer check silently skips it)."""
    units = {unit_of(m) for m in module_files(ROOTS)}
    assert {u for layer in LAYERS for u in layer} <= units


# --- light paths: `--help` loads neither Brian, nor Hypothesis, nor matplotlib ---------------------------------

HEAVY = ("brian2", "hypothesis", "matplotlib")
HELP = ("import contextlib, io, sys\nfrom brian2_harness.cli import entry\n"
        "for argv in (['--help'], ['run', '--help'], ['check', '--help'], ['list', '--help']):\n"
        "    sys.argv = ['brian2-harness', *argv]\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        entry()\n")


def heavy_modules_loaded(code: str) -> list[str]:
    """Which of HEAVY are imported after running `code` in a fresh interpreter."""
    probe = code + f"\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_help_loads_no_heavy_module():
    assert heavy_modules_loaded(HELP) == []


def test_a_heavy_import_is_seen():
    assert heavy_modules_loaded(HELP + "import brian2_harness.families.growth.generate\n") == ["hypothesis"]


# --- negative controls: a small clean tree, then one fault injected at a time -------------------------------

CLEAN = {
    "__init__.py": "from brian2_harness.errors import UsageError\n",
    "errors.py": "class UsageError(Exception):\n    pass\n",
    "low/__init__.py": "",
    "low/a.py": "from brian2_harness.errors import UsageError\n\n\ndef _helper():\n    return UsageError\n",
    "low/b.py": "from brian2_harness.low.a import _helper\n",
    "high/__init__.py": "",
    "high/c.py": ("from brian2_harness.low import a\n\n\n"
                  "def f():\n    from brian2_harness.low import b\n    return a, b\n"),
    "high/cmd.py": "import argparse\n\nP = argparse.ArgumentParser()\nP.add_argument('--x')\n",
}
TREE_LAYERS = (("", "errors", "low"), ("high",))
FAULTS = {
    "cycle through a lazy import": ("low/a.py", "\n\ndef g():\n    from brian2_harness.low import b\n    return b\n",
                                    "import cycle between modules"),
    "cycle through importlib": ("low/a.py", "\nimport importlib\nB = importlib.import_module('brian2_harness.low.b')\n",
                                "import cycle between modules"),
    "computed dynamic import": ("low/a.py", "\nimport importlib\nB = importlib.import_module(f'brian2_harness.{B}')\n",
                                "dynamic import of a computed"),
    "upward import": ("low/a.py", "\n\ndef g():\n    from brian2_harness.high import c\n    return c\n",
                      "from a higher layer"),
    "package cycle in one layer": ("errors.py", "\nfrom brian2_harness.low import a\n",
                                   "import cycle between packages"),
    "401-line module": ("low/a.py", "\n" * 396, "401 lines"),
    "underscore name across packages": ("high/c.py", "\nfrom brian2_harness.low.a import _helper\n",
                                        "private name _helper"),
    "lazy import that defers nothing": ("high/c.py",
                                        "\n\ndef h():\n    from brian2_harness.low import a\n    return a\n",
                                        "defers nothing"),
    "unit in no layer": ("stray.py", "", "in no layer"),
    "61-line function": ("low/b.py", "\n\ndef long():\n" + "    x = 1\n" * 60, "function long (61 lines"),
    "argument parser outside cli": ("low/a.py", "\n\ndef options(sub):\n    sub.add_parser('x').add_argument('--y')\n",
                                    "argument parser outside high/"),
    "argparse imported outside cli": ("low/b.py", "import argparse\n", "argument parser outside high/"),
}


def make_tree(tmp_path: Path, extra: tuple[str, str, str] | None = None) -> dict[str, Path]:
    files = dict(CLEAN)
    if extra:
        name, text, _ = extra
        files[name] = files.get(name, "") + text
    for name, text in files.items():
        (tmp_path / "harness" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "harness" / name).write_text(text)
    return {"brian2_harness": tmp_path / "harness"}


def test_a_clean_tree_has_no_problems(tmp_path):
    assert problems(make_tree(tmp_path), TREE_LAYERS, parser_unit="high") == []


def test_a_long_function_with_its_reason_passes(tmp_path):
    files = make_tree(tmp_path, ("low/b.py", '\n\ndef long():\n    """Long because: a table."""\n' + "    x = 1\n" * 60,
                                 ""))
    assert problems(files, TREE_LAYERS, parser_unit="high") == []


def test_a_forbidden_pair_is_flagged(tmp_path):
    found = problems(make_tree(tmp_path), TREE_LAYERS, parser_unit="high", forbidden=(("high", "low"),))
    assert any("'high' must not import 'low'" in p for p in found), found


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_injected_fault_is_flagged(tmp_path, fault):
    found = problems(make_tree(tmp_path, FAULTS[fault]), TREE_LAYERS, parser_unit="high")
    assert any(FAULTS[fault][2] in p for p in found), found


# --- devices own their behaviour (issue 38 item 2) ----------------------------------------------------------------
# What a device does differently (how it is selected, perturbed, seeded, built, recorded, compared, what it needs
# installed) is asked of its Device class or of the catalog in devices/; no other module names a device as a string
# literal, so that adding a device touches devices/ and the catalog only. Not device names: docstrings, the module an
# import call names (`__import__("numpy")`: the library), and the CLI's help text (the value of a help=, description=
# or epilog= argument in cli/). The words numpy and cython are also the libraries: versions.py is their one home
# (versions.NUMPY, CYTHON: environment records, cache keys, doctor's checks), allowed below as such.
DEVICE_NAMES = ("numpy", "cython", "cpp_standalone", "cpp_standalone_omp", "cuda_standalone")
UNSCANNED_UNITS = (
    "devices",     # where devices are named: their classes and the catalog
)
HELP_UNIT, HELP_KEYWORDS = "cli", ("help", "description", "epilog")
IMPORT_CALLS = ("__import__", "import_module", "find_spec")
ALLOWED_DEVICE_NAMES = {
    # the libraries numpy and Cython (not the devices): environment-record keys and distribution names
    "brian2_harness.versions": {"numpy", "cython"},
}
# Not allowed, still there: to be removed (the test fails once one is gone, so that the list only shrinks).
PENDING_DEVICE_NAMES: dict = {}     # none left outside the unscanned units


def _not_device_names(tree: ast.AST, help_text: bool) -> set[int]:
    """ids of the constants that name no device: docstrings, an import call's module, and (help_text) help text."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            out.add(id(node.body[0].value))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in IMPORT_CALLS and node.args:
                out.add(id(node.args[0]))
            if help_text:
                out.update(id(n) for k in node.keywords if k.arg in HELP_KEYWORDS for n in ast.walk(k.value))
    return out


def device_name_literals(path: Path, names=DEVICE_NAMES, help_text: bool = False) -> set[str]:
    """The device names a module holds as string literals, what names no device left out (_not_device_names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _not_device_names(tree, help_text)
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and node.value in names
            and id(node) not in skip}


def device_name_problems(roots: dict[str, Path] = ROOTS, unscanned=UNSCANNED_UNITS, allowed=ALLOWED_DEVICE_NAMES,
                         pending=PENDING_DEVICE_NAMES, help_unit: str = HELP_UNIT) -> list[str]:
    out = []
    for module, path in sorted(module_files(roots).items()):
        if unit_of(module) in unscanned:
            continue
        found = device_name_literals(path, help_text=unit_of(module) == help_unit)
        extra = found - allowed.get(module, set()) - pending.get(module, set())
        if extra:
            out.append(f"{module}: names the device(s) {', '.join(sorted(extra))} (ask devices/ instead)")
        if pending.get(module, set()) - found:
            out.append(f"{module}: no longer names {', '.join(sorted(pending[module] - found))}: "
                       f"remove it from PENDING_DEVICE_NAMES")
    return out


def test_only_the_allowed_modules_name_a_device():
    assert device_name_problems() == []


def test_the_scan_covers_every_unit_but_devices():
    scanned = {unit_of(m) for m in module_files(ROOTS)} - set(UNSCANNED_UNITS)
    assert {"check", "run", "cli", "tools", "upgrade", "reports", "cells", "families", "models", "fuzz", ""} <= scanned
    assert set(UNSCANNED_UNITS) == {"devices"}


def test_a_named_device_is_flagged(tmp_path):
    tree = make_tree(tmp_path, ("low/a.py", '\n\ndef pick(d):\n    """Like "cython"."""\n'
                                            '    return d == "cuda_standalone"\n', ""))
    assert device_name_problems(tree, (), {}, {}) == [
        "brian2_harness.low.a: names the device(s) cuda_standalone (ask devices/ instead)"]
    assert device_name_problems(tree, ("low",), {}, {}) == []
    assert device_name_problems(tree, (), {"brian2_harness.low.a": {"cuda_standalone"}}, {}) == []
    assert device_name_problems(make_tree(tmp_path / "clean"), (), {}, {"brian2_harness.low.a": {"numpy"}}) == [
        "brian2_harness.low.a: no longer names numpy: remove it from PENDING_DEVICE_NAMES"]


# A synthetic module source per case: (unit/file, source, flagged device names); the help unit is `high`.
NAMING_CASES = {
    "a device as a default argument": ("low/a.py", 'def f(device="cpp_standalone"):\n    return device\n',
                                       {"cpp_standalone"}),
    "a device compared with": ("low/a.py", 'def f(d):\n    return d in ("numpy", "cpp_standalone_omp")\n',
                               {"numpy", "cpp_standalone_omp"}),
    "a device in an f-string expression": ("low/a.py", "def f(env):\n    return f\"{env.get('cython')}\"\n",
                                           {"cython"}),
    "the library imported by name": ("low/a.py", 'import importlib\nNP = __import__("numpy")\n'
                                                 'CY = importlib.import_module("cython")\n', set()),
    "a docstring and a comment": ("low/a.py", 'def f():\n    """cython"""\n    return 1   # "numpy"\n', set()),
    "the CLI's help text": ("high/cmd.py", 'P.add_argument("--d", help="numpy")\n', set()),
    "a CLI default is no help text": ("high/cmd.py", 'P.add_argument("--d", default="cuda_standalone")\n',
                                      {"cuda_standalone"}),
    "help text outside the CLI": ("low/a.py", 'def f(p):\n    p.add_argument("--d", help="numpy")\n', {"numpy"}),
}


@pytest.mark.parametrize("case", sorted(NAMING_CASES))
def test_device_names_are_told_from_the_libraries_and_help_text(tmp_path, case):
    name, text, flagged = NAMING_CASES[case]
    found = device_name_problems(make_tree(tmp_path, (name, "\n" + text, "")), (), {}, {}, help_unit="high")
    module = "brian2_harness." + name[:-3].replace("/", ".")
    assert found == ([f"{module}: names the device(s) {', '.join(sorted(flagged))} (ask devices/ instead)"]
                     if flagged else [])
