from django.http import JsonResponse
from django.shortcuts import render

from core.health import as_dict, run_checks


def health_view(request):
    checks = run_checks()
    report = as_dict(checks)
    status = 200 if report["ok"] else 503
    if request.GET.get("format") == "json":
        return JsonResponse(report, status=status)
    return render(
        request, "core/health.html", {"checks": checks, "ok": report["ok"]}, status=status
    )
