"""The benchmarks' cases (bench.py, cuda_bench.py): one schedule, identical-shape all-to-all growth cases."""
from __future__ import annotations

from brian2_harness.families.growth.case import Case

SCHEDULE = (1e-4, 1.0, 3.0)


def all_to_all_cases(n: int, size: int) -> list[Case]:
    """n identical-shape cases of size x size all-to-all (size**2 synapses each), varied weights."""
    out = []
    for k in range(n):
        i = [a for a in range(size) for _ in range(size)]
        j = [b for _ in range(size) for b in range(size)]
        w0 = [0.1 + ((7 * m + k) % 13) / 13 for m in range(size * size)]
        out.append(Case(n_pre=size, n_post=size, i=i, j=j, w0=w0, period=SCHEDULE[1], duration=SCHEDULE[2],
                        dt=SCHEDULE[0], name=f"a2a{size}-{k}"))
    return out
