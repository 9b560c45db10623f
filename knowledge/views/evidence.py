"""'I used this': report how an item went, change the report, or take it back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from communities import permissions as community_permissions
from core.forms import add_service_error
from knowledge import permissions
from knowledge.forms.evidence import EvidenceForm
from knowledge.selectors.evidence import item_evidence
from knowledge.services import evidence as services


@login_required
def evidence_report_view(request, slug, item_id):
    """GET: the form on a page of its own (no-JavaScript fallback); POST: report or withdraw."""
    item = permissions.access_item(user=request.user, slug=slug, item_id=item_id)
    back = f"{item.get_absolute_url()}#evidence"
    panel = item_evidence(user=request.user, item=item)
    if request.method == "POST" and request.POST.get("withdraw"):
        if services.evidence_withdraw(item=item, member=request.user):
            messages.success(request, "Your report is withdrawn.")
        return redirect(back)
    permissions.require_can_report_evidence(user=request.user, item=item)
    status = 200
    if request.method == "POST":
        form = EvidenceForm(request.POST)
        if form.is_valid():
            try:
                services.evidence_report(
                    item=item,
                    member=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Thank you: your report is on the item.")
                return redirect(back)
        status = 400
    else:
        initial = {"outcome": panel.mine.outcome, "note": panel.mine.note} if panel.mine else {}
        form = EvidenceForm(initial=initial)
    context = {
        "community": item.community,
        "can_view": True,
        "can_moderate": community_permissions.can_moderate(request.user, item.community),
        "active_tab": "library",
        "item": item,
        "panel": panel,
        "form": form,
    }
    return render(request, "knowledge/evidence_form.html", context, status=status)
