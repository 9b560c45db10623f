"""Test data, made through the real services where the services carry rules."""

import factory
from django.contrib.auth import get_user_model

from communities import services
from communities.models import Community, Membership, ProfessionalGroup

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def with_profile(self, create, extracted, **kwargs):
        if create:
            self.save()
            services.profile_for(self)


class ProfessionalGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfessionalGroup
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    domain = "Learning from each other's practice"
    about = "We **share** what works."
    visibility = Community.Visibility.OPEN

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.community_save(community=model_class(*args, **kwargs))


def make_member(
    community, user=None, *, role=Membership.Role.MEMBER, state=Membership.State.ACTIVE
):
    """Give *user* (a new one if None) a membership in *community* with *role* and *state*."""
    user = user or UserFactory()
    membership, _ = Membership.objects.update_or_create(
        community=community,
        user=user,
        defaults={"role": role, "state": state},
    )
    return membership


def make_admin():
    return UserFactory(is_staff=True, is_superuser=True)
