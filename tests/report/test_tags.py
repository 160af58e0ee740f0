"""The report dispatches on capability tags, not family names: a new family needs no edit in geoquant/report."""

import pandas as pd

from geoquant.compare import METHOD_FAMILIES
from geoquant.report._figures import panels_by_family
from geoquant.report._findings import compute_findings
from geoquant.report._summary import compute_summary
from geoquant.report._tags import family_order, trains_mask

from .test_findings import synthetic


def test_trains_mask_reads_the_column_else_the_registered_tags():
    df = pd.DataFrame({"method": ["a", "b", "c", "d"],
                       "method_name": ["network_small", "delaunay", "no_such_method", "network_standard"]})
    assert list(trains_mask(df)) == [True, False, False, True]  # from method_tags; unknown -> False
    df["trains"] = [False, True, None, True]  # the results' column wins
    assert list(trains_mask(df)) == [False, True, False, True]


def test_family_order_puts_shipped_families_first_then_new_ones_as_first_seen():
    assert family_order(["zeta", "baseline", "alpha", "network", "zeta"]) == ["network", "baseline", "zeta", "alpha"]
    assert family_order(reversed(METHOD_FAMILIES)) == list(METHOD_FAMILIES)


def test_a_new_family_that_trains_is_reported_as_networks():
    ref = synthetic()
    new = ref.copy()
    nets = new["family"] == "network"
    new.loc[nets, "family"] = "spiking"  # a family the report has never heard of
    new.loc[nets, "method_name"] = "spiking_net"  # not in the registry either
    new["trains"] = nets  # the capability the results record
    f_ref, f_new = compute_findings(ref), compute_findings(new)
    # the same findings, word for word, except the family's name
    assert [(s.key, s.table) for s in f_new.items] == [(s.key, s.table) for s in f_ref.items]
    assert [s.text for s in f_new.items] == [s.text.replace("network family", "spiking family").replace(
        "family, network (", "family, spiking (") for s in f_ref.items]
    assert f_new.tables["F4"][1].equals(f_ref.tables["F4"][1])  # training states of the networks
    s_ref, s_new = compute_summary(ref, n_planned=len(ref)), compute_summary(new, n_planned=len(new))
    assert s_new.sentences == s_ref.sentences
    # displayed after the shipped families
    panels = panels_by_family(new)
    assert [t for t, _ in panels] == ["triangulation", "baseline", "spiking"]
