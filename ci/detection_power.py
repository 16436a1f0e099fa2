"""What float32 cells can see compared with float64 cells, measured on known-bad variants.

Usage (the numbers of docs/tolerances.md, "What a cell can see"):
    brian2-harness run --plugin tests/gross_mutants.py --plugin tests/mutants.py \
        --variants gross_no_normalization,...,mutant_lag_claims_aligned --devices numpy,cpp_standalone \
        --dtype float64,float32 --cases 30 --seed 11 --json gross.json
    python ci/detection_power.py gross.json

Prints, per variant and over all, how many (variant, case) pairs float64 flags, how many of those float32 flags
too, and checks that no passing cell has an error above its stated detection limit (exit 1 if one does).
"""
import json
import sys
from collections import defaultdict


def main(path: str) -> int:
    cells = json.load(open(path))["cells"]
    flagged = defaultdict(lambda: defaultdict(set))     # variant -> dtype -> {case ids flagged on any device}
    ran = defaultdict(set)
    above = []
    for c in cells:
        if c["verdict"] not in ("pass", "fail"):
            continue
        ran[c["variant"]].add(c["case_id"])
        if c["verdict"] == "fail":
            flagged[c["variant"]][c["dtype"]].add(c["case_id"])
        lim = c.get("detection_limit")
        if c["verdict"] == "pass" and lim and c["max_abs_err"] is not None and c["max_abs_err"] > lim["max"]:
            above.append((c["variant"], c["device"], c["dtype"], c["case_id"], c["max_abs_err"], lim["max"]))
    tot64 = tot_both = 0
    print(f"{'variant':32} {'cases':>5} {'f64 flags':>9} {'f32 too':>8} {'f32 only':>8}")
    for v in sorted(ran):
        f64, f32 = flagged[v]["float64"], flagged[v]["float32"]
        tot64 += len(f64)
        tot_both += len(f64 & f32)
        print(f"{v:32} {len(ran[v]):5} {len(f64):9} {len(f64 & f32):8} {len(f32 - f64):8}")
    share = tot_both / tot64 if tot64 else 1.0
    print(f"float32 flags {tot_both} of the {tot64} (variant, case) pairs float64 flags: {100 * share:.1f} %")
    print(f"passing cells with an error above their stated detection limit: {len(above)}")
    for row in above[:10]:
        print("  ", row)
    return 1 if above else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
