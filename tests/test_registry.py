"""Variant registry and plugins: every mistake in a plugin is one clear UsageError."""
import pytest

from brian2_harness import registry, variant_sources
from brian2_harness.errors import UsageError


@pytest.fixture
def clean_registry(monkeypatch):
    """The built-ins plus whatever a test registers; restored afterwards."""
    variant_sources.load_builtin()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return registry


def write(tmp_path, text, name="plug.py"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_builtins_declare_semantics(clean_registry):
    variant_sources.load_builtin()
    names = {v.name: v for v in clean_registry.all_variants()}
    assert set(names) >= {"netop_reference", "summed_seed", "summed_aligned", "summed_every_step"}
    assert names["summed_seed"].semantics == "lagged"
    assert names["summed_aligned"].semantics == "aligned"
    assert not names["netop_reference"].supports("cpp_standalone")


def test_missing_plugin_file(clean_registry):
    with pytest.raises(UsageError, match="does not exist"):
        variant_sources.load_plugin_file("/nonexistent/plugin.py")


def test_plugin_raising_on_import(clean_registry, tmp_path):
    with pytest.raises(UsageError, match="raised on import: ZeroDivisionError"):
        variant_sources.load_plugin_file(write(tmp_path, "1/0\n"))


def test_duplicate_name(clean_registry, tmp_path):
    variant_sources.load_builtin()
    src = "from brian2_harness import register\nregister('summed_seed', 'growth', lambda net: None)\n"
    with pytest.raises(UsageError, match="registered twice"):
        variant_sources.load_plugin_file(write(tmp_path, src))


def test_variant_without_build_function(clean_registry, tmp_path):
    src = "from brian2_harness import register\nregister('nobuild', 'growth')\n"
    with pytest.raises(UsageError, match="build must be a function"):
        variant_sources.load_plugin_file(write(tmp_path, src))


@pytest.mark.parametrize("kwargs, words", [
    (dict(family="weird"), "family must be one of growth, metaplastic, custom"),
    (dict(semantics="sideways"), "semantics must be one of aligned, lagged"),
    (dict(family="custom", semantics="aligned"), "custom variants have no oracle"),
])
def test_bad_declarations(clean_registry, kwargs, words):
    with pytest.raises(UsageError, match=words):
        clean_registry.register("x", kwargs.pop("family", "growth"), lambda net: None, **kwargs)


def test_unknown_variant_lists_known(clean_registry):
    variant_sources.load_builtin()
    with pytest.raises(UsageError, match="known variants: .*summed_seed"):
        clean_registry.get("nope")
