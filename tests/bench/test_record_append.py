"""bench.record_append runs end to end on a small store (figures are not asserted, only shape)."""

from __future__ import annotations

from bench.record_append import record_costs


def test_record_costs_reports_every_figure_and_logarithmic_reads() -> None:
    result = record_costs(300, batch=64)
    assert result["entries"] >= 300
    for key in ("journal_append_us_per_entry", "tree_extend_us_per_entry", "checkpoint_us"):
        assert result[key] > 0
    # O(log n): a proof at a few hundred leaves reads a couple of dozen nodes at most.
    assert 0 < result["inclusion_proof_node_reads"] <= 2 * 9 + 1
    assert 0 < result["consistency_proof_node_reads"] <= 2 * 9 + 1
