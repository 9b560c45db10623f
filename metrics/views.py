"""Dashboard pages and exports. Gatekeeping in metrics.permissions; reads in
metrics.selectors, charts built from them in metrics.dashboard; the only write (asking for a
recompute) in metrics.pipeline.schedule."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from communities import permissions as community_permissions
from core.pagination import paginate, querystring_without_page
from metrics import charts, dashboard, exports, permissions, selectors
from metrics.forms import MemberFilterForm
from metrics.pipeline import schedule

ORDERINGS = {
    "level": ("-level_rank", "-betweenness", "user_id"),
    "betweenness": ("-betweenness", "user_id"),
    "ties": ("-strong_ties", "-weak_ties", "user_id"),
    "active_days": ("-active_days", "user_id"),
}


def _base(request, community, active_tab: str) -> dict:
    """Context every metrics page shares: header flags, snapshot, run status."""
    snapshot = selectors.latest_snapshot(community)
    can_moderate = community_permissions.can_moderate(request.user, community)
    return {
        "community": community,
        "can_view": True,
        "can_moderate": can_moderate,
        "active_tab": active_tab,
        "snapshot": snapshot,
        "status": dashboard.computation_status(community=community, snapshot=snapshot),
        "can_request": permissions.can_request_metrics(request.user, community),
        "can_view_member_metrics": permissions.can_view_member_metrics(request.user, community),
        "can_export": permissions.can_export_metrics(request.user, community),
        "can_view_my_network": permissions.can_view_my_network(request.user, community),
        "show_names": permissions.can_see_metrics_names(request.user, community),
        "show_named_lists": permissions.can_see_named_lists(request.user, community),
    }


def _window(request) -> str:
    value = request.GET.get("window", "")
    return value if value in dashboard.WINDOWS else dashboard.DEFAULT_WINDOW


def _group_names(rows, groups: dict[int, str]) -> list:
    rows = list(rows)
    for row in rows:
        row.group_name = groups.get(row.professional_group_id)
    return rows


def _with_group_names(page, groups: dict[int, str]):
    page.object_list = _group_names(page.object_list, groups)
    return page


def dashboard_view(request, slug):
    community = permissions.access_dashboard(user=request.user, slug=slug)
    context = _base(request, community, "dashboard")
    snapshot = context["snapshot"]
    if snapshot is not None:
        window = _window(request)
        data = snapshot.data or {}
        groups = selectors.group_names()
        broker_ids = [
            b.get("user_id") for b in ((data.get("network") or {}).get("top_brokers") or [])
        ]
        names = (
            selectors.people(broker_ids, community=community) if context["show_named_lists"] else {}
        )
        network_chart, legend, counts = dashboard.drawing(
            snapshot=snapshot,
            community=community,
            show_names=context["show_names"],
            show_scores=context["show_named_lists"],
            limit=dashboard.DASHBOARD_NODES,
            chart_id="chart-network",
            groups=groups,
        )
        context.update(
            window=window,
            windows=dashboard.WINDOWS,
            figures=dashboard.window_figures(data, window),
            data=data,
            posts_chart=dashboard.posts_chart(data),
            trends=dashboard.trend_charts(selectors.snapshot_points(community), window=window),
            network_chart=network_chart,
            legend=legend,
            network_counts=counts,
            spectrum_chart=charts.spectrum_chart(
                chart_id="chart-spectrum", spectrum=data.get("spectrum") or {}
            ),
            brokers_chart=dashboard.brokers_chart(
                data, show_names=context["show_named_lists"], names=names, groups=groups
            ),
        )
    return render(request, "metrics/dashboard.html", context)


def network_view(request, slug):
    community = permissions.access_dashboard(user=request.user, slug=slug)
    context = _base(request, community, "dashboard")
    snapshot = context["snapshot"]
    if snapshot is not None:
        groups = selectors.group_names()
        chart, legend, counts = dashboard.drawing(
            snapshot=snapshot,
            community=community,
            show_names=context["show_names"],
            show_scores=context["show_named_lists"],
            limit=dashboard.NETWORK_VIEW_NODES,
            chart_id="chart-network-large",
            width=960,
            height=720,
            groups=groups,
        )
        rows = selectors.ranked_member_rows(snapshot).filter(degree__gt=0)
        rows = rows.order_by("-betweenness", "-degree", "user_id")
        page = _with_group_names(paginate(request, rows, per_page=50), groups)
        context.update(
            network_chart=chart,
            legend=legend,
            network_counts=counts,
            page=page,
            qs=querystring_without_page(request),
        )
    return render(request, "metrics/network.html", context)


@login_required
def members_view(request, slug):
    community = permissions.access_member_metrics(user=request.user, slug=slug)
    context = _base(request, community, "dashboard")
    snapshot = context["snapshot"]
    form = MemberFilterForm(request.GET)
    context["form"] = form
    if snapshot is not None:
        filters = form.cleaned_data if form.is_valid() else {}
        rows = selectors.ranked_member_rows(snapshot)
        if filters.get("level"):
            rows = rows.filter(level=filters["level"])
        if filters.get("trajectory"):
            rows = rows.filter(trajectory=filters["trajectory"])
        if filters.get("group"):
            rows = rows.filter(professional_group_id=filters["group"].pk)
        if query := (filters.get("q") or "").strip():
            # Only members the dashboards may name can be found by name.
            rows = rows.filter(
                Q(user__profile__display_name__icontains=query) | Q(user__username__icontains=query)
            ).filter(community_permissions.dashboard_naming_q(community, prefix="user__profile__"))
        rows = rows.order_by(*ORDERINGS.get(filters.get("order") or "level", ORDERINGS["level"]))
        data = snapshot.data or {}
        groups = selectors.group_names()
        context.update(
            data=data,
            page=_with_group_names(paginate(request, rows, per_page=50), groups),
            qs=querystring_without_page(request),
            drifting=_group_names(selectors.drifting_away(snapshot), groups),
            rising=_group_names(selectors.rising(snapshot), groups),
            brokers=_group_names(selectors.top_brokers_rows(snapshot), groups),
            at_risk=data.get("at_risk_questions") or [],
            transitions=data.get("transitions") or {},
            transition_rows=_transition_rows(data.get("transitions") or {}),
            trajectories=data.get("trajectories") or {},
            levels=dashboard.LEVELS,
        )
    return render(request, "metrics/members.html", context)


def _transition_rows(transitions: dict) -> list[tuple[str, list]]:
    matrix = transitions.get("matrix") or {}
    return [
        (before, [(matrix.get(before) or {}).get(now, 0) for now in dashboard.LEVELS])
        for before in dashboard.LEVELS
        if before in matrix
    ]


@login_required
def my_network_view(request, slug):
    community = permissions.access_my_network(user=request.user, slug=slug)
    context = _base(request, community, "dashboard")
    snapshot = context["snapshot"]
    history = selectors.my_history(community, request.user)
    me = history[-1] if history and snapshot and history[-1].snapshot_id == snapshot.pk else None
    ties = selectors.my_ties(community, request.user)
    context.update(
        me=me,
        history=history,
        level_chart=dashboard.my_level_chart(history),
        strong=[t for t in ties if t["tie_class"] == "strong"],
        weak=[t for t in ties if t["tie_class"] == "weak"],
        latent=[t for t in ties if t["tie_class"] not in ("strong", "weak")],
    )
    return render(request, "metrics/my_network.html", context)


@login_required
@require_POST
def recompute_view(request, slug):
    community = permissions.access_member_metrics(user=request.user, slug=slug)
    schedule.metrics_request(community_id=community.pk)
    messages.success(request, "Recompute requested: the figures update when the run finishes.")
    return redirect("metrics:dashboard", slug=community.slug)


# --- exports -------------------------------------------------------------------------------------


def _export(request, slug):
    community = permissions.access_member_metrics(user=request.user, slug=slug)
    snapshot = selectors.latest_snapshot(community)
    if snapshot is None:
        raise Http404("No metrics have been computed for this community yet.")
    pseudonymous = request.GET.get("pseudonymous") in ("1", "true", "yes", "on")
    stem = f"{community.slug}-metrics-{snapshot.as_of:%Y%m%d-%H%M}"
    if pseudonymous:
        stem += "-pseudonymous"
    return community, snapshot, pseudonymous, stem


def _download(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def export_json_view(request, slug):
    community, snapshot, pseudonymous, stem = _export(request, slug)
    body = exports.dashboard_json(community, snapshot, pseudonymous=pseudonymous)
    return _download(body, "application/json; charset=utf-8", f"{stem}.json")


@login_required
def export_graphml_view(request, slug):
    community, snapshot, pseudonymous, stem = _export(request, slug)
    body = exports.graphml(community, snapshot, pseudonymous=pseudonymous)
    return _download(body, "application/graphml+xml; charset=utf-8", f"{stem}.graphml")


@login_required
def export_csv_view(request, slug):
    community, snapshot, pseudonymous, stem = _export(request, slug)
    body = exports.edge_list_csv(community, snapshot, pseudonymous=pseudonymous)
    return _download(body, "text/csv; charset=utf-8", f"{stem}-edges.csv")
