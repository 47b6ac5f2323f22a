"""The admin keeps staff inside their projects and roles.

Every persona is staff with every model permission of our apps (as a newsroom's staff group
would be), so what stops them is their project role, never a missing model permission. The
outsider owns another project: they hold the role, just not here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.forms import BooleanField, MultiWidget
from django.test import Client
from django.urls import reverse

from annotations.admin_scoping import MSG_ONE_PROJECT
from annotations.models import Article, Membership, Project, Role
from claims.models import Alias, Claim, ClaimRelation
from common.models import OutboxMessage
from tests.factories import (
    AliasFactory,
    ArticleFactory,
    ClaimFactory,
    MembershipFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OTHER_PROJECT = "Harbour fire"
OTHER_OUTLET = "Harbour Gazette"
OTHER_CLAIM = "The harbour fire started at noon."
OUR_CLAIM = "The bridge was inspected in May."


def make_staff(user: Any) -> Any:
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["annotations", "claims", "common"])
    )
    return user


@pytest.fixture
def other_project(outsider: Any) -> Project:
    other = ProjectFactory(name=OTHER_PROJECT, slug="harbour-fire")
    MembershipFactory(project=other, user=outsider, role=Role.OWNER)
    return other


@pytest.fixture
def world(project, owner, editor, viewer, outsider, other_project) -> dict[str, Any]:
    for user in (owner, editor, viewer, outsider):
        make_staff(user)
    other_source = SourceFactory(project=other_project, name=OTHER_OUTLET)
    return {
        "claim": ClaimFactory(project=project, statement=OUR_CLAIM),
        "other_claim": ClaimFactory(project=other_project, statement=OTHER_CLAIM),
        "article": ArticleFactory(project=project, title="Bridge inspection report"),
        "other_article": ArticleFactory(
            project=other_project, source=other_source, title="Harbour fire timeline"
        ),
        "other_source": other_source,
    }


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def superuser_client() -> Client:
    return login(UserFactory(username="root", is_staff=True, is_superuser=True))


def form_values(form: Any) -> dict[str, Any]:
    """What a browser would post for this form as rendered (a form's fields, unchanged)."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        key, value = form.add_prefix(name), form[name].value()
        widget = getattr(field.widget, "widget", field.widget)  # the admin's related wrapper
        if isinstance(widget, MultiWidget):
            for i, part in enumerate(widget.decompress(value) or []):
                data[f"{key}_{i}"] = "" if part is None else str(part)
        elif isinstance(field, BooleanField):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = "" if value is None else str(value)
    return data


def change_form_data(url: str) -> dict[str, Any]:
    """The full POST body of an admin change (or history) form, read as a superuser, so a test
    can post what a persona could not even see as a form."""
    response = superuser_client().get(url)
    assert response.status_code == 200, url
    data = form_values(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        data.update(form_values(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(form_values(form))
    return data


def history_form_url(obj: Any) -> str:
    meta = obj._meta
    version = obj.history.latest("history_date")
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_simple_history",
        args=[obj.pk, version.history_id],
    )


def history_url(obj: Any) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def change_url(obj: Any) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


# --- History views --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["claim", "article"])
def test_history_of_another_projects_object_is_not_found_for_outsider(world, outsider, name):
    obj = world[name]
    client = login(outsider)
    for url in (history_url(obj), history_form_url(obj)):
        response = client.get(url)
        assert response.status_code == 404, url
        assert OUR_CLAIM not in response.content.decode()


def test_outsider_cannot_revert_a_claim_of_another_project(world, outsider):
    claim = world["claim"]
    data = change_form_data(history_form_url(claim)) | {"statement": "Rewritten by mallory."}
    response = login(outsider).post(history_form_url(claim), data)
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.statement == OUR_CLAIM


def test_viewer_reads_history_but_cannot_revert(world, viewer):
    claim = world["claim"]
    client = login(viewer)
    assert client.get(history_url(claim)).status_code == 200
    assert client.get(history_form_url(claim)).status_code == 200
    data = change_form_data(history_form_url(claim)) | {"statement": "Rewritten by charlie."}
    assert client.post(history_form_url(claim), data).status_code == 403
    claim.refresh_from_db()
    assert claim.statement == OUR_CLAIM


def test_editor_reverts_a_claim_of_their_project(world, editor):
    claim = world["claim"]
    data = change_form_data(history_form_url(claim)) | {"statement": "Corrected by bob."}
    response = login(editor).post(history_form_url(claim), data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.statement == "Corrected by bob."


def test_revert_cannot_move_a_claim_into_a_project_the_editor_does_not_edit(
    world, editor, other_project
):
    claim = world["claim"]
    data = change_form_data(history_form_url(claim)) | {"project": str(other_project.pk)}
    response = login(editor).post(history_form_url(claim), data)
    assert response.status_code == 200  # the form again, with the choice refused
    claim.refresh_from_db()
    assert claim.project_id != other_project.pk


# --- Change forms and list filters ----------------------------------------------------------


def test_editor_is_offered_only_their_projects_and_outlets(world, editor):
    client = login(editor)
    for url in (change_url(world["claim"]), change_url(world["article"])):
        body = client.get(url).content.decode()
        assert OTHER_PROJECT not in body, url
        assert OTHER_OUTLET not in body, url


def test_editor_cannot_move_a_claim_into_another_project(world, editor, other_project):
    claim = world["claim"]
    data = change_form_data(change_url(claim)) | {"project": str(other_project.pk)}
    response = login(editor).post(change_url(claim), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["project"]
    claim.refresh_from_db()
    assert claim.project_id != other_project.pk


def test_editor_cannot_move_an_article_into_another_project(world, editor, other_project):
    article = world["article"]
    data = change_form_data(change_url(article)) | {
        "project": str(other_project.pk),
        "source": str(world["other_source"].pk),
    }
    response = login(editor).post(change_url(article), data)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.project_id != other_project.pk
    assert article.source_id != world["other_source"].pk


def test_an_editor_of_two_projects_cannot_mix_them_in_one_article(world, editor, other_project):
    MembershipFactory(project=other_project, user=editor, role=Role.EDITOR)
    article = world["article"]
    data = change_form_data(change_url(article)) | {"source": str(world["other_source"].pk)}
    response = login(editor).post(change_url(article), data)
    assert response.status_code == 200
    assert MSG_ONE_PROJECT.format(model="article") in response.content.decode()
    article.refresh_from_db()
    assert article.source_id != world["other_source"].pk


def test_editor_saves_a_claim_in_their_project(world, editor):
    claim = world["claim"]
    data = change_form_data(change_url(claim)) | {"statement": "Inspected in June."}
    assert login(editor).post(change_url(claim), data).status_code == 302
    claim.refresh_from_db()
    assert claim.statement == "Inspected in June."


@pytest.mark.parametrize(
    "changelist",
    [
        "admin:claims_claim_changelist",
        "admin:annotations_article_changelist",
        "admin:annotations_source_changelist",
        "admin:claims_alias_changelist",
        "admin:claims_matchcandidate_changelist",
        "admin:annotations_passage_changelist",
        "admin:claims_annotation_changelist",
    ],
)
def test_list_filters_show_only_the_users_projects_and_outlets(world, editor, changelist):
    AliasFactory(project=world["other_claim"].project)
    response = login(editor).get(reverse(changelist))
    assert response.status_code == 200
    body = response.content.decode()
    assert OTHER_PROJECT not in body
    assert OTHER_OUTLET not in body


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_delete_action_spares_claims_the_user_may_not_change(world, persona, request):
    claim = world["claim"]
    client = login(request.getfixturevalue(persona))
    client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "delete_selected", "_selected_action": [claim.pk], "post": "yes"},
    )
    assert Claim.objects.filter(pk=claim.pk).exists()


# --- Memberships ----------------------------------------------------------------------------


def project_form(project: Project, **membership_changes: str) -> dict[str, Any]:
    return change_form_data(change_url(project)) | membership_changes


def add_member_row(data: dict[str, Any], *, user: Any, role: Role) -> dict[str, Any]:
    index = int(data["memberships-TOTAL_FORMS"])
    return data | {
        "memberships-TOTAL_FORMS": str(index + 1),
        f"memberships-{index}-user": str(user.pk),
        f"memberships-{index}-role": role.value,
        f"memberships-{index}-project": data.get("memberships-0-project", ""),
    }


def membership_row(data: dict[str, Any], user: Any) -> str:
    membership = Membership.objects.get(user=user)
    return next(
        k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(membership.pk)
    )


def test_editor_cannot_make_themselves_owner_or_add_an_owner(world, project, editor, outsider):
    data = project_form(project)
    data[f"{membership_row(data, editor)}-role"] = Role.OWNER.value
    data = add_member_row(data, user=outsider, role=Role.OWNER)
    login(editor).post(change_url(project), data)
    assert Membership.objects.get(project=project, user=editor).role == Role.EDITOR
    assert not Membership.objects.filter(project=project, user=outsider).exists()


def test_editor_sees_members_read_only(world, project, editor):
    body = login(editor).get(change_url(project)).content.decode()
    assert 'name="memberships-0-role"' not in body


def test_owner_manages_members(world, project, owner, viewer, outsider):
    data = project_form(project)
    data[f"{membership_row(data, viewer)}-role"] = Role.EDITOR.value
    data = add_member_row(data, user=outsider, role=Role.VIEWER)
    assert login(owner).post(change_url(project), data).status_code == 302
    assert Membership.objects.get(project=project, user=viewer).role == Role.EDITOR
    assert Membership.objects.get(project=project, user=outsider).role == Role.VIEWER


def test_viewer_cannot_change_the_project(world, project, viewer):
    data = project_form(project) | {"name": "Renamed by charlie"}
    assert login(viewer).post(change_url(project), data).status_code == 403
    project.refresh_from_db()
    assert project.name == "Bridge collapse"


def test_only_an_owner_deletes_the_project(world, project, editor, owner):
    Article.objects.filter(project=project).delete()  # an article's outlet is protected
    delete = reverse("admin:annotations_project_delete", args=[project.pk])
    assert login(editor).post(delete, {"post": "yes"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()
    assert login(owner).post(delete, {"post": "yes"}).status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()


# --- Relations and aliases ------------------------------------------------------------------


def test_outsider_cannot_relate_claims_of_another_project(world, project, outsider):
    target = ClaimFactory(project=project, statement="The bridge reopened.")
    data = {
        "source_claim": str(world["claim"].pk),
        "target_claim": str(target.pk),
        "kind": "supports",
        "note": "",
    }
    response = login(outsider).post(reverse("admin:claims_claimrelation_add"), data)
    assert response.status_code == 200
    assert not ClaimRelation.objects.exists()


def test_viewer_cannot_relate_claims_of_their_project(world, project, viewer):
    target = ClaimFactory(project=project, statement="The bridge reopened.")
    data = {"source_claim": world["claim"].pk, "target_claim": target.pk, "kind": "supports"}
    response = login(viewer).post(reverse("admin:claims_claimrelation_add"), data)
    assert response.status_code == 403  # a viewer in every project they belong to
    assert not ClaimRelation.objects.exists()


def test_editor_relates_claims_of_their_project(world, project, editor):
    target = ClaimFactory(project=project, statement="The bridge reopened.")
    data = {"source_claim": world["claim"].pk, "target_claim": target.pk, "kind": "supports"}
    response = login(editor).post(reverse("admin:claims_claimrelation_add"), data)
    assert response.status_code == 302
    relation = ClaimRelation.objects.get()
    assert relation.created_by == editor


def test_a_relation_cannot_cross_projects(world, editor, other_project):
    MembershipFactory(project=other_project, user=editor, role=Role.EDITOR)
    data = {
        "source_claim": world["claim"].pk,
        "target_claim": world["other_claim"].pk,
        "kind": "contradicts",
    }
    response = login(editor).post(reverse("admin:claims_claimrelation_add"), data)
    assert response.status_code == 200
    assert not ClaimRelation.objects.exists()


def alias_data(project: Project | None) -> dict[str, Any]:
    return {
        "project": "" if project is None else project.pk,
        "variant": "Kyiv",
        "canonical": "Kiev",
    }


def test_outsider_cannot_add_an_alias_to_another_project(world, project, outsider):
    response = login(outsider).post(reverse("admin:claims_alias_add"), alias_data(project))
    assert response.status_code == 200
    assert not Alias.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "editor", "outsider"])
def test_only_superusers_add_global_aliases(world, persona, request):
    user = request.getfixturevalue(persona)
    response = login(user).post(reverse("admin:claims_alias_add"), alias_data(None))
    assert response.status_code == 200
    assert not Alias.objects.exists()
    assert (
        superuser_client().post(reverse("admin:claims_alias_add"), alias_data(None)).status_code
        == 302
    )
    assert Alias.objects.get().project is None


def test_staff_see_global_aliases_but_cannot_change_them(world, owner):
    alias = AliasFactory(project=None, variant="Kharkov", canonical="Kharkiv")
    client = login(owner)
    assert client.get(change_url(alias)).status_code == 200
    data = {"project": "", "variant": "Kharkov", "canonical": "Somewhere else", "note": ""}
    assert client.post(change_url(alias), data).status_code == 403
    alias.refresh_from_db()
    assert alias.canonical == "Kharkiv"


def test_editor_adds_an_alias_to_their_project(world, project, editor):
    response = login(editor).post(reverse("admin:claims_alias_add"), alias_data(project))
    assert response.status_code == 302
    alias = Alias.objects.get()
    assert (alias.project, alias.created_by) == (project, editor)


def test_viewer_cannot_add_an_alias(world, project, viewer):
    response = login(viewer).post(reverse("admin:claims_alias_add"), alias_data(project))
    assert response.status_code == 403
    assert not Alias.objects.exists()


# --- Outbox ---------------------------------------------------------------------------------


def test_outbox_is_for_superusers_only(world, owner):
    message = OutboxMessage.objects.create(task_name="annotations.process_article", args=[1])
    client = login(owner)
    assert client.get(reverse("admin:common_outboxmessage_changelist")).status_code == 403
    assert client.get(change_url(message)).status_code == 403
    response = client.post(
        reverse("admin:common_outboxmessage_changelist"),
        {"action": "relay", "_selected_action": [message.pk]},
    )
    assert response.status_code == 403
    assert (
        superuser_client().get(reverse("admin:common_outboxmessage_changelist")).status_code == 200
    )


def test_outsider_finds_nothing_of_another_project(world, outsider):
    client = login(outsider)
    for obj in (world["claim"], world["article"], world["article"].source):
        assert client.get(change_url(obj)).status_code == 302  # "does not exist", as Django says
    body = client.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert OUR_CLAIM not in body and OTHER_CLAIM in body
    assert Claim.objects.filter(statement=OUR_CLAIM).exists()
    assert Article.objects.count() == 2
