"""Options of `doctor` (what this machine has for each device) and `bench` (what batching and the build cache
save). The commands themselves live in tools/."""
from __future__ import annotations

from brian2_harness.devices import STANDALONE_DEVICE
from brian2_harness.tools import bench, doctor
from brian2_harness.tools.cuda_bench import DEFAULT_CASES, DEFAULT_SIZE


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("doctor", help="check Python, Brian2, compilers, OpenMP, CUDA and GPU; show fixes")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = subparsers.add_parser("bench", help="batched vs naive standalone runs, cold vs warm build cache")
    p.add_argument("--cases", default="10,100,1000", help="case counts to measure (the largest is the batch)")
    p.add_argument("--sizes", default="2,4,8", help="all-to-all sizes k (k*k synapses per case)")
    p.add_argument("--naive-sample", type=int, default=3, help="cases built one by one for the naive rate")
    p.add_argument("--variant", default="summed_aligned")
    p.add_argument("--device", default=STANDALONE_DEVICE)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write the figures as JSON")
    p.add_argument("--no-openmp", action="store_true", help="skip the 'OpenMP under load' measurement")
    p.add_argument("--openmp-active", action="store_true",
                   help="also measure OMP_WAIT_POLICY=active under load (slow: the spinning the default avoids)")
    p.add_argument("--cuda-cases", type=int, default=DEFAULT_CASES,
                   help=f"--device cuda_standalone: cases in one build (default {DEFAULT_CASES}; build only without "
                        f"a GPU)")
    p.add_argument("--cuda-size", type=int, default=DEFAULT_SIZE,
                   help=f"--device cuda_standalone: size x size all-to-all per case (default {DEFAULT_SIZE})")
    p.add_argument("--no-stat-mode", action="store_true",
                   help="skip the statistical mode's line (check --mode stat: seeds per build, seconds per verdict)")


COMMANDS = {"doctor": doctor.cmd_doctor, "bench": bench.cmd_bench}
