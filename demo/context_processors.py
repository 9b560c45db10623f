from django.conf import settings

from demo.progress import progress_read


def demo_seed_progress(request):
    """Add the background demo seed's progress (settings only list this under `make run`)."""
    return {"demo_seed": progress_read(settings.DEMO_SEED_PROGRESS_FILE)}
