"""Before upgrading Brian2: a fixed corpus (corpus.py), a baseline of everything it observed (baseline.py, made by
record.py), and the classification of every cell after the upgrade (changes.py, shown by render.py)."""
from brian2_harness.upgrade.baseline import (
                                             BASELINE_FORMAT,
                                             COMPARISON_FORMAT,
                                             DEFAULT_DTYPES,
                                             MANIFEST,
                                             Baseline,
                                             build_baseline,
                                             cells_from_result,
                                             load_baseline,
                                             write_baseline,
)
from brian2_harness.upgrade.changes import (
                                             CHANGED,
                                             GONE,
                                             IDENTICAL,
                                             NEW_ERROR,
                                             NEW_FAIL,
                                             NO_RESULT,
                                             NOW_RUNS,
                                             REGRESSIONS,
                                             STATUSES,
                                             WITHIN,
                                             CellChange,
                                             compare,
                                             compare_cells,
                                             compare_values,
                                             comparison_document,
                                             private_api_problems,
                                             regressions,
                                             summarize_changes,
)
from brian2_harness.upgrade.corpus import Corpus, corpus_from_document, load_corpus, make_corpus, write_corpus
from brian2_harness.upgrade.probe import probe_private_api
from brian2_harness.upgrade.record import record
from brian2_harness.upgrade.render import group_changes, markdown_table, print_comparison, summary_line

__all__ = [n for n in dir() if not n.startswith("_")]
