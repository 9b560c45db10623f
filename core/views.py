from django.http import JsonResponse
from django.shortcuts import render

from core.health import as_dict, run_checks


def health_view(request):
    checks = run_checks()
    report = as_dict(checks)
    status = 200 if report["ok"] else 503
    if request.GET.get("format") == "json":
        return JsonResponse(report, status=status)
    # The site's layout names static files; until collectstatic has run it cannot render.
    static_ok = all(check.ok for check in checks if check.name == "static")
    template = "core/health.html" if static_ok else "core/health_plain.html"
    return render(request, template, {"checks": checks, "ok": report["ok"]}, status=status)
