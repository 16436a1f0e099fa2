"""Variants that fail on purpose (fault injection), loaded as a plugin by tests/test_faults.py."""
import os
import signal
import time

from brian2_harness import register
from brian2_harness.models.growth import summed_aligned


def _with_function(net, cpp_code, name):
    """summed_aligned plus a run_regularly calling a user C++ function (standalone devices compile it)."""
    from brian2 import Function, second

    def identity(x):
        return x

    identity.__name__ = name
    model = summed_aligned(net)
    fn = Function(pyfunc=identity, arg_units=[1], return_unit=1)
    fn.implementations.add_implementation("cpp", cpp_code, name=name)
    model.synapses.namespace[name] = fn
    model.synapses.run_regularly(f"w = {name}(w)", dt=net.period * second, when="end", order=50)
    return model


def compile_error(net):
    return _with_function(net, "double broken_fn(double x) { return x + ; }", "broken_fn")


def segfault(net):
    code = "double crash_fn(double x) { volatile int *p = 0; *p = 1; return x; }"
    return _with_function(net, code, "crash_fn")


def worker_crash(net):
    os.kill(os.getpid(), signal.SIGSEGV)


def hang(net):
    time.sleep(3600)


def not_implemented(net):
    raise NotImplementedError("this backend cannot do that")


register("fault_compile_error", "growth", compile_error, semantics="aligned", devices=("cpp_standalone",))
register("fault_segfault", "growth", segfault, semantics="aligned", devices=("cpp_standalone",))
register("fault_worker_crash", "growth", worker_crash, semantics="aligned")
register("fault_hang", "growth", hang, semantics="aligned")
register("fault_not_implemented", "growth", not_implemented, semantics="aligned")
register("fault_not_implemented_declared", "growth", not_implemented, semantics="aligned", devices=("cython",))
