from django import forms
from django.contrib import admin, messages

from communities import services
from communities.models import (
    Community,
    Interaction,
    InteractionArchive,
    Invitation,
    Membership,
    MembershipEvent,
    ProfessionalGroup,
    Profile,
)

MODERATOR_MUST_BE_ACTIVE = (
    "A moderator must be an active member: set the state to Active, or keep the role Member "
    "until the person has joined."
)


class MembershipAdminForm(forms.ModelForm):
    """An admin's membership: a moderator who is not an active member is refused here, next to
    the fields, not only by the service (which refuses it too)."""

    class Meta:
        model = Membership
        fields = ["community", "user", "role", "state"]

    def clean(self):
        cleaned = super().clean()
        role, state = cleaned.get("role"), cleaned.get("state")
        if role == Membership.Role.MODERATOR and state and state != Membership.State.ACTIVE:
            self.add_error("state", MODERATOR_MUST_BE_ACTIVE)
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipAdminForm
    extra = 0
    fields = ["user", "role", "state", "joined_at"]
    readonly_fields = ["joined_at"]
    autocomplete_fields = ["user"]
    show_change_link = True
    # Memberships are never deleted here: their history feeds the participation metrics.
    # Set the state to "left" or "banned" instead.
    can_delete = False


class MembershipEventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    fields = ["occurred_at", "kind", "from_state", "to_state", "from_role", "to_role", "actor"]
    readonly_fields = fields
    ordering = ["-occurred_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "domain", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "slug", "domain"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "domain",
        "visibility",
        "about",
        "dashboard_naming_default",
        "moderators_need_2fa",
    ]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        services.community_save(community=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # What formset.save() would record; the admin's change message (LogEntry) reads it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            membership = inline_form.instance
            is_new = membership.pk is None
            if is_new:
                membership = Membership.objects.get_or_create(
                    community=form.instance, user=inline_form.cleaned_data["user"]
                )[0]
            membership = services.membership_admin_update(
                membership=membership,
                role=inline_form.cleaned_data["role"],
                state=inline_form.cleaned_data["state"],
                by=request.user,
            )
            if is_new:
                formset.new_objects.append(membership)
            else:
                formset.changed_objects.append((membership, inline_form.changed_data))
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                formset.deleted_objects.append(deleted.instance)
                deleted.instance.delete()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "role", "state", "joined_at", "updated_at"]
    list_filter = ["role", "state", "community__visibility", "community"]
    search_fields = ["user__username", "user__email", "community__name"]
    list_select_related = ["user", "community"]
    autocomplete_fields = ["user", "community"]
    readonly_fields = ["joined_at", "created_at", "updated_at", "request_message"]
    inlines = [MembershipEventInline]
    actions = ["appoint_moderators", "make_members"]
    form = MembershipAdminForm

    def get_changeform_initial_data(self, request):
        # An admin adding a membership is letting someone in: Active, not the model's Pending
        # (which is what a join request starts as).
        return {"state": Membership.State.ACTIVE, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        # Deleting would erase the history trajectories are measured from; change the state.
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            # Through the service, as the community page's inline does, so the new membership
            # has its history (and the service's checks) too.
            role, state = obj.role, obj.state
            obj.pk = Membership.objects.get_or_create(community=obj.community, user=obj.user)[0].pk
            services.membership_admin_update(
                membership=obj, role=role, state=state, by=request.user
            )
            obj.refresh_from_db()
            return
        services.membership_admin_update(
            membership=obj, role=obj.role, state=obj.state, by=request.user
        )

    @admin.action(description="Appoint as moderators")
    def appoint_moderators(self, request, queryset):
        self._set_role(request, queryset, Membership.Role.MODERATOR)

    @admin.action(description="Make ordinary members")
    def make_members(self, request, queryset):
        self._set_role(request, queryset, Membership.Role.MEMBER)

    def _set_role(self, request, queryset, role):
        changed = 0
        for membership in queryset.select_related("user", "community"):
            try:
                services.membership_set_role(membership=membership, role=role, by=request.user)
                changed += 1
            except Exception as exc:  # report each refusal; keep going with the others
                self.message_user(request, f"{membership}: {exc}", messages.WARNING)
        self.message_user(request, f"{changed} membership(s) updated.", messages.SUCCESS)


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "community", "user", "kind", "from_state", "to_state", "actor"]
    list_filter = ["kind", "community"]
    search_fields = ["user__username", "actor__username", "community__name", "message"]
    list_select_related = ["community", "user", "actor"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["community", "note", "use_count", "max_uses", "expires_at", "revoked_at"]
    list_filter = ["community"]
    search_fields = ["note", "community__name"]
    readonly_fields = ["token", "use_count", "created_at"]


@admin.register(ProfessionalGroup)
class ProfessionalGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "professional_group", "organisation"]
    list_filter = ["professional_group"]
    search_fields = ["user__username", "display_name", "organisation"]
    list_select_related = ["user", "professional_group"]
    autocomplete_fields = ["user"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "community", "kind", "actor", "target", "group_size"]
    list_filter = ["kind", "community"]
    search_fields = ["actor__username", "target__username"]
    list_select_related = ["community", "actor", "target"]
    date_hierarchy = "occurred_at"
    readonly_fields = [
        "community", "actor", "target", "kind", "occurred_at", "group_size",
        "source_type", "source_id",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False


@admin.register(InteractionArchive)
class InteractionArchiveAdmin(admin.ModelAdmin):
    """What the retention rule kept of the pruned log: counts per month and kind, read-only."""

    list_display = ["month", "community", "kind", "count"]
    list_filter = ["kind", "community"]
    list_select_related = ["community"]
    date_hierarchy = "month"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
