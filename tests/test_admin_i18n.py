"""Every label of the admin speaks the interface's language: columns, filters, fields, models and apps.

For every registered model admin, the labels Django shows (change-list columns, filter titles,
form and read-only fields, the model's and the app's names) are taken as the admin computes
them, in Russian and in Kazakh: a label still in Latin letters is an untranslated English one
(or a field without a translatable verbose_name), and a Kazakh label equal to the Russian one
fell back to the Russian catalog. Then each change list and the index are rendered in Russian.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

LATIN = re.compile(r"[A-Za-z]")
# Not translated in any language: acronyms, identifiers and product names.
SAME_IN_EVERY_LANGUAGE = re.compile(r"\b(ID|URL|API|SLA|HTTP|SHA-256|JSON|CSV|IP|GET|POST|Accept|User-Agent|Axes)\b")
# Words Kazakh writes as Russian does (the Kazakh label is then rightly equal to the Russian one).
SAME_IN_KAZAKH = {
    "ID",
    "URL",
    "SHA-256",
    "API",
    "Email",
    "Axes",
    "Код",
    "код",
    "Орган",
    "орган",
    "Юрисдикция",
    "юрисдикция",
}


def checked_models() -> list[tuple[Any, Any]]:
    return list(admin.site._registry.items())


def untranslated(labels: list[str]) -> list[str]:
    return sorted({label for label in labels if LATIN.search(SAME_IN_EVERY_LANGUAGE.sub("", label))})


def admin_labels(model: Any, model_admin: Any, request: Any) -> list[str]:
    """What the admin shows for this model, in the active language."""
    labels = [str(model._meta.verbose_name), str(model._meta.verbose_name_plural)]
    labels.append(str(apps.get_app_config(model._meta.app_label).verbose_name))
    for name in model_admin.get_list_display(request):
        if name != "action_checkbox":
            labels.append(str(label_for_field(name, model, model_admin)))
    for entry in model_admin.get_list_filter(request):
        if isinstance(entry, tuple | list):
            entry = entry[0]
        if isinstance(entry, str):
            labels.append(str(label_for_field(entry.split("__")[0], model, model_admin)))
        else:
            labels.append(str(entry.title))
    labels += field_labels(model, model_admin, model_admin.get_form(request)(), model_admin.get_fields(request))
    for inline in model_admin.get_inline_instances(request):
        labels.append(str(inline.model._meta.verbose_name_plural))
        form = inline.get_formset(request).form()
        labels += field_labels(inline.model, inline, form, inline.get_fields(request))
    return labels


def field_labels(model: Any, model_admin: Any, form: Any, names: Any) -> list[str]:
    """A form field's label as the form shows it; a read-only field's as the admin computes it."""
    return [
        str(form.fields[name].label)
        if name in form.fields and form.fields[name].label
        else str(label_for_field(name, model, model_admin, form=form))
        for name in names
    ]


@pytest.fixture
def superuser(db: Any) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.org", "pass-for-tests-1")


def all_labels(superuser: Any, language: str) -> dict[str, list[str]]:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    found = {}
    with translation.override(language):
        for model, model_admin in checked_models():
            found[model._meta.label] = admin_labels(model, model_admin, request)
    return found


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_admin_label_is_translated(superuser, language):
    problems = {name: untranslated(labels) for name, labels in all_labels(superuser, language).items()}
    assert {name: bad for name, bad in problems.items() if bad} == {}


def test_kazakh_labels_are_kazakh_not_the_russian_fallback(superuser):
    russian, kazakh = all_labels(superuser, "ru"), all_labels(superuser, "kk")
    problems = {}
    for name, ru_labels in russian.items():
        same = {ru for ru, kk in zip(ru_labels, kazakh[name], strict=True) if ru == kk and ru not in SAME_IN_KAZAKH}
        if same:
            problems[name] = sorted(same)
    assert problems == {}


def test_one_api_keys_section(superuser):
    """The API keys are complaints.ApiKey; the library's own model is not offered as a second section."""
    registered = {model._meta.label for model in admin.site._registry}
    assert "complaints.ApiKey" in registered
    assert "rest_framework_api_key.APIKey" not in registered


def changelist_names() -> list[str]:
    return [f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m, _ in checked_models()]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_index_and_every_changelist_render_in_the_language(superuser, language, file_complaint):
    file_complaint()  # some rows, so that the change lists show their columns
    client = Client()
    client.force_login(superuser)
    index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language)
    assert index["Content-Language"] == language
    html = index.content.decode()
    names = [
        " ".join(re.sub(r"<[^>]+>", " ", n).split())
        for n in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', html, flags=re.S)
    ]
    assert names
    in_progress = {str(m._meta.verbose_name_plural).capitalize() for m in admin.site._registry} - {
        str(m._meta.verbose_name_plural).capitalize() for m, _ in checked_models()
    }
    assert untranslated([n for n in names if n not in in_progress]) == []
    assert len(names) == len(set(names)), "a model is listed twice"
    for name in changelist_names():
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        thead = re.search(r'<table id="result_list">.*?<thead>(.*?)</thead>', response.content.decode(), flags=re.S)
        if thead:
            columns = [
                " ".join(re.sub(r"<[^>]+>", " ", c).split())
                for c in re.findall(r"<th[^>]*>(.*?)</th>", thead[1], flags=re.S)
            ]
            assert untranslated([c for c in columns if c]) == [], name
