"""A member's picture: uploading or removing it (on the profile page's form), and serving it.

Pictures are served by this view from the default storage rather than by the web server: the
embedded default and production then behave the same, and only names this module wrote
(``communities.avatars.NAME``) are ever opened. No query: the name is the key.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from communities import avatars, services
from communities.forms import AvatarForm, ProfileForm


def _profile_edit_page(request, *, avatar_form, status: int):
    profile = services.profile_for(request.user)
    form = ProfileForm(
        instance=profile,
        initial={"expertise": ", ".join(t.name for t in profile.expertise.all())},
    )
    context = {"form": form, "avatar_form": avatar_form}
    return render(request, "communities/profile_edit.html", context, status=status)


@login_required
@require_POST
def profile_avatar_view(request):
    if "remove" in request.POST:
        avatars.profile_avatar_remove(user=request.user)
        messages.success(request, "Your picture was removed; your initials show instead.")
        return redirect("communities:profile_edit")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            avatars.profile_avatar_set(user=request.user, upload=form.cleaned_data["avatar"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your picture was saved.")
            return redirect("communities:profile_edit")
    return _profile_edit_page(request, avatar_form=form, status=400)


@require_GET
def avatar_view(request, name):
    if not avatars.NAME.match(name):
        raise Http404("No such picture.")
    try:
        handle = default_storage.open(f"{avatars.FOLDER}/{name}", "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such picture.") from None
    response = FileResponse(handle, content_type="image/webp")
    # The name changes with every upload: the file under a name never changes.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
