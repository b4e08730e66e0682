"""The Partner Explorer's registry of filters and columns that higher layers fill
(apps/partners/explorer_registry.py)."""

import csv
import io

import pytest
from django.db.models import Q

from apps.partners.explorer_registry import (
    ExplorerCell,
    explorer_cells,
    explorer_column_register,
    explorer_columns,
    explorer_filter_register,
    explorer_filters,
    explorer_params,
    registry_restore,
    registry_snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    """Register throwaway entries; the real registry is restored afterwards."""
    snapshot = registry_snapshot()
    yield
    registry_restore(snapshot)


def _names(response):
    assert response.status_code == 200
    return [p.name for p in response.context["page"].object_list]


def _initial(queryset, value, *, tenant):
    return queryset.filter(Q(name__istartswith=value), tenant=tenant)


def _register_initial():
    explorer_filter_register(
        "initial",
        "Initial",
        lambda tenant: [("", "Any initial"), ("acme partner o", "O"), ("acme partner t", "T")],
        _initial,
    )


def test_onboarding_and_milestones_register_theirs():
    assert [f.name for f in explorer_filters()] == ["stage", "stalled", "overdue"]
    assert [c.name for c in explorer_columns()] == ["current_stage"]
    assert {"stage", "stalled", "overdue", "q", "tier"} <= explorer_params()


def test_a_registered_filter_narrows_the_list_and_the_export(acme, client_for, registry):
    _register_initial()
    client = client_for(acme, acme.cam)
    assert _names(client.get("/console/partners/", {"initial": "acme partner t"})) == [
        "Acme Partner Two"
    ]
    html = client.get("/console/partners/").content.decode()
    assert '<label class="sr-only" for="id_initial">Initial</label>' in html
    body = b"".join(
        client.get("/console/partners/export.csv", {"initial": "acme partner o"}).streaming_content
    ).decode()
    assert [row[1] for row in csv.reader(io.StringIO(body))][1:] == ["Acme Partner One"]


def test_a_value_not_among_the_choices_never_reaches_apply(acme, client_for, registry):
    calls = []

    def apply(queryset, value, *, tenant):
        calls.append(value)
        return queryset.none()

    explorer_filter_register("only", "Only", lambda tenant: [("", "Any"), ("yes", "Yes")], apply)
    client = client_for(acme, acme.cam)
    assert len(_names(client.get("/console/partners/", {"only": "no"}))) == 2
    assert calls == []
    assert _names(client.get("/console/partners/", {"only": "yes"})) == []
    assert calls == ["yes"]


def test_a_registered_column_fills_the_page_and_the_csv(acme, client_for, registry):
    seen = []

    def values(*, tenant, account_ids):
        seen.append(sorted(account_ids))
        return {pk: ExplorerCell(f"cell {pk}", "detail") for pk in account_ids[:1]}

    explorer_column_register("probe", "Probe", values)
    client = client_for(acme, acme.cam)
    html = client.get("/console/partners/").content.decode()
    assert '<th scope="col">Probe</th>' in html
    assert seen[-1] == sorted([acme.partner.pk, acme.other_partner.pk])  # one call per page
    body = b"".join(client.get("/console/partners/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-1] == "probe"
    # The export's chunk is in the list's order (by name): the probe fills its first row.
    assert [(row[1], row[-1]) for row in rows[1:]] == [
        ("Acme Partner One", f"cell {acme.partner.pk}"),
        ("Acme Partner Two", ""),
    ]


def test_names_of_the_explorers_own_parameters_are_refused(registry):
    for name in ("q", "tier", "page", "sort", "not a name"):
        with pytest.raises(ValueError):
            explorer_filter_register(name, "x", lambda tenant: [], _initial)


def test_no_accounts_no_query(acme, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert explorer_cells(tenant=acme.tenant, account_ids=[]) == {"current_stage": {}}
