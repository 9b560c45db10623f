import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from taggit.managers import TaggableManager


class ProfessionalGroup(models.Model):
    """A professional group (nurse, teacher, ...): a small list that admins keep.

    Later metrics measure knowledge flowing across these groups.
    """

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


# How the dashboards show a member who chose not to be named (communities.permissions).
UNNAMED_MEMBER = "A member"


class DashboardNaming(models.TextChoices):
    NAMED = "named", "Named"
    UNNAMED = "unnamed", "Not named"


class Profile(models.Model):
    class Visibility(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        COMMUNITIES = "communities", "Members of my communities"
        ONLY_ME = "only_me", "Only me"

    class Naming(models.TextChoices):
        COMMUNITY = "community", "As each community decides"
        NAMED = "named", "Yes, dashboards may show my name"
        UNNAMED = "unnamed", "No, show me as “A member”"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    occupation = models.CharField(max_length=120, blank=True)
    professional_group = models.ForeignKey(
        ProfessionalGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)
    bio = models.TextField(max_length=1000, blank=True)
    expertise = TaggableManager(blank=True, help_text="Comma-separated topics you know about.")
    details_visible_to = models.CharField(
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.COMMUNITIES,
        help_text="Who sees your occupation, organisation, location, bio and expertise.",
    )
    dashboard_naming = models.CharField(
        "Name me on dashboards",
        max_length=10,
        choices=Naming.choices,
        default=Naming.COMMUNITY,
        help_text="Community figures always count you; this decides whether moderators' lists "
        "and the network drawing show your name.",
    )
    # The random stem of the member's picture files (communities.avatars); empty: initials.
    avatar = models.CharField(max_length=32, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["professional_group"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("communities:profile", args=[self.user.username])

    @property
    def name(self) -> str:
        return self.display_name or self.user.username


def display_name(user) -> str:
    """Return the name to show for *user*: their profile's display name, else their username.

    Every user gets a profile (``CommunitiesConfig.ready``), but rows inserted in bulk or
    deleted by hand have none, and a page must still show the person. Callers that list people
    load ``user__profile`` with the users (``select_related``).
    """
    if user is None:
        return ""
    profile = getattr(user, "profile", None)  # RelatedObjectDoesNotExist is an AttributeError
    return (profile.display_name if profile is not None else "") or user.username


class Community(models.Model):
    class Visibility(models.TextChoices):
        OPEN = "open", "Open"
        REQUEST = "request", "Request to join"
        PRIVATE = "private", "Private"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    domain = models.CharField(
        max_length=200, help_text="One line: the shared domain this community is about."
    )
    about = models.TextField(max_length=20000, blank=True, help_text="Markdown.")
    about_html = models.TextField(blank=True, editable=False)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.OPEN
    )
    dashboard_naming_default = models.CharField(
        "Dashboards name members",
        max_length=10,
        choices=[
            (DashboardNaming.NAMED, "Unless they say no (opt-out)"),
            (DashboardNaming.UNNAMED, "Only if they say yes (opt-in)"),
        ],
        default=DashboardNaming.NAMED,
        help_text="For members who leave the choice to the community. Said on its home page.",
    )
    moderators_need_2fa = models.BooleanField(
        "Moderators need two-factor sign-in",
        default=False,
        help_text="Moderators without an authenticator app or security key can read and post "
        "but not moderate here until they set one up.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"
        # Staff status only opens the Django admin; a site admin is a superuser or a staff
        # account granted this (communities.permissions.is_admin).
        permissions = [
            (
                "administer_all_communities",
                "Site admin: read, post in and moderate every community, private ones included",
            )
        ]
        indexes = [
            models.Index(Lower("name"), name="community_lower_name"),
            models.Index(fields=["visibility"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("communities:home", args=[self.slug])

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        MODERATOR = "moderator", "Moderator"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        LEFT = "left", "Left"
        BANNED = "banned", "Banned"
        DECLINED = "declined", "Declined"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    request_message = models.CharField(max_length=500, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    # When the member last opened the community (its home or thread list), written at most once
    # per SEEN_EVERY by services.membership_seen; None until the first visit after joining, which
    # is when the welcome shows. "New since your last visit" counts from here.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="one_membership_per_user")
        ]
        indexes = [
            models.Index(fields=["community", "state", "role"]),
            models.Index(fields=["user", "state"]),
        ]

    def __str__(self):
        return f"{self.user} in {self.community} ({self.role}, {self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE

    @property
    def is_moderator(self) -> bool:
        return self.is_active and self.role == self.Role.MODERATOR


class MembershipEvent(models.Model):
    """One change in a membership's history; participation trajectories are measured from these."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Requested to join"
        JOINED = "joined", "Joined"
        APPROVED = "approved", "Request approved"
        DECLINED = "declined", "Request declined"
        INVITED = "invited", "Joined by invitation"
        LEFT = "left", "Left"
        BANNED = "banned", "Banned"
        UNBANNED = "unbanned", "Unbanned"
        ROLE_CHANGED = "role_changed", "Role changed"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    from_role = models.CharField(max_length=10, blank=True)
    to_role = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["community", "occurred_at"]),
            models.Index(fields=["user", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.community} at {self.occurred_at:%Y-%m-%d %H:%M}"


def _new_invitation_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """An invitation link to join a community; it expires and can be revoked."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=_new_invitation_token)
    note = models.CharField(
        max_length=200, blank=True, help_text="For moderators: whom the link is for."
    )
    max_uses = models.PositiveIntegerField(default=1)
    use_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "revoked_at", "expires_at"])]

    def __str__(self):
        return f"Invitation to {self.community} ({self.note or self.token[:6]})"

    def get_absolute_url(self):
        return reverse("communities:invitation", args=[self.token])

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.use_count < self.max_uses


class Interaction(models.Model):
    """One interaction between two members of a community, written by the content services.

    The metrics read this log; ``rebuild_interactions`` regenerates it from the content.
    """

    class Kind(models.TextChoices):
        ANSWER = "answer", "Answer"
        REPLY = "reply", "Reply"
        ACCEPT = "accept", "Accepted answer"
        VOTE = "vote", "Helpful vote"
        WORKED = "worked", "Worked for me"
        MENTION = "mention", "Mention"
        CO_ATTENDANCE = "co_attendance", "Co-attendance"
        CO_EDIT = "co_edit", "Co-edit"

    # No index of its own: two of the composite indexes below start with it.
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    # For symmetric kinds (co-attendance, co-edit): how many took part, so weights can be split.
    group_size = models.PositiveIntegerField(default=2)
    source_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id", "actor", "target"],
                name="one_interaction_per_source_and_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(actor=models.F("target")), name="interaction_between_two"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "occurred_at"]),
            models.Index(fields=["community", "actor", "target"]),
            models.Index(fields=["source_type", "source_id"]),
            # The retention rule prunes by age across communities (communities.retention).
            models.Index(fields=["occurred_at"], name="interaction_occurred_at"),
        ]

    def __str__(self):
        return f"{self.actor} → {self.target}: {self.kind}"


class InteractionArchive(models.Model):
    """How many interactions of a kind a community had in a month, kept once the log's rows
    of that month are pruned (communities.retention): the counts, never the people."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month (UTC).")
    kind = models.CharField(max_length=20, choices=Interaction.Kind.choices)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month", "kind"], name="one_archive_row_per_month_and_kind"
            )
        ]

    def __str__(self):
        return f"{self.community_id} {self.month:%Y-%m} {self.kind}: {self.count}"
