"""Keyset ("cursor") pagination over a composite, null-aware ordering.

DRF's CursorPagination positions on the first ordering field only and cannot step
past NULLs, but the reviewer queue orders by whether the SLA clock runs (a computed
key), then ``due_at`` (nullable), then priority, then id (``selectors.QUEUE_ORDER``).
Here the cursor holds the whole sort key of the last row seen, so a page is one
range scan with ``LIMIT n + 1``: no COUNT, no OFFSET, and stable while rows are
inserted or updated. A computed key is annotated onto the rows under its name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Key:
    """One column of a sort order: descending or not; NULLs first or last (nullable columns only).

    With ``expression`` the column is computed per row and annotated as ``field``.
    """

    field: str
    desc: bool = False
    nullable: bool = False
    nulls_last: bool = True
    expression: Any = None

    @classmethod
    def of(cls, sort_key: Any) -> Key:
        """The key for a ``selectors.SortKey`` (NULLs last)."""
        return cls(sort_key.field, sort_key.desc, sort_key.nullable, True, sort_key.expression)

    def reversed(self) -> Key:
        return Key(self.field, not self.desc, self.nullable, not self.nulls_last, self.expression)

    def to_python(self, model: type[Model], raw: Any) -> Any:
        field = self.expression.output_field if self.expression is not None else model._meta.get_field(self.field)
        return cast("Field[Any, Any]", field).to_python(raw)

    def order_by(self) -> OrderBy:
        expr = F(self.field)
        if not self.nullable:
            return expr.desc() if self.desc else expr.asc()
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return expr.desc(**nulls) if self.desc else expr.asc(**nulls)

    def after(self, value: Any) -> Q:
        """Rows strictly after ``value`` in this column's order."""
        if value is None:
            return Q(pk__in=[]) if self.nulls_last else Q(**{f"{self.field}__isnull": False})
        q = Q(**{f"{self.field}__{'lt' if self.desc else 'gt'}": value})
        if self.nullable and self.nulls_last:
            q |= Q(**{f"{self.field}__isnull": True})
        return q

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})


def keys_for(order: Sequence[Any]) -> tuple[Key, ...]:
    """Keys for a selector's sort order (``selectors.QUEUE_ORDER``): one definition for both."""
    return tuple(Key.of(sort_key) for sort_key in order)


def keyset_after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows after the row whose sort key is ``values``: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..."""
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.equal(value)
    return condition


class InvalidCursor(serializers.ValidationError):
    def __init__(self) -> None:
        super().__init__(
            {"cursor": [_("This cursor is invalid or belongs to another ordering; start again without it.")]},
            code="invalid_cursor",
        )


def cursor_ordering(request: Request) -> str | None:
    """The name of the ordering the request's cursor was made in; None without a (readable) cursor.

    For a view whose ordering depends on more than the request (a search ranked only when its matches
    are few): the next page keeps the order of the first, whatever has changed since.
    """
    cursor = request.query_params.get(KeysetPagination.cursor_query_param)
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    name = data.get("o") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


class KeysetPagination(BasePagination):
    """Pages of ``page_size`` rows with opaque ``next``/``previous`` links.

    A view sets ``ordering`` to a tuple of ``Key`` (the last key must be unique, e.g. id),
    or ``orderings`` (name -> keys) plus ``ordering_name`` chosen from the request.
    """

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.keys: tuple[Key, ...] = ()
        self.name = ""
        self.base_url = ""
        self.next_values: list[Any] | None = None
        self.previous_values: list[Any] | None = None

    # --- cursor encoding ------------------------------------------------------

    def _encode(self, values: Sequence[Any], reverse: bool) -> str:
        raw = json.dumps({"o": self.name, "v": list(values), "r": int(reverse)}, default=str, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, model: type[Model], cursor: str) -> tuple[list[Any], bool]:
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(data, dict) or data.get("o") != self.name or len(data.get("v", ())) != len(self.keys):
                raise InvalidCursor()
            values = [
                None if raw is None else key.to_python(model, raw)
                for key, raw in zip(self.keys, data["v"], strict=True)
            ]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, DjangoValidationError, OverflowError):
            raise InvalidCursor() from None
        return values, bool(data.get("r"))

    def _row_values(self, row: Model | dict[str, Any]) -> list[Any]:
        if isinstance(row, dict):  # a values() row
            return [row[key.field] for key in self.keys]
        return [getattr(row, key.field) for key in self.keys]

    # --- DRF interface ----------------------------------------------------------

    def page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return DEFAULT_PAGE_SIZE
        field = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE)
        try:
            return int(field.run_validation(raw))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from None

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any]:
        assert isinstance(queryset, QuerySet), "keyset pagination needs a queryset"
        self.keys = tuple(getattr(view, "ordering", ()) or (Key("id"),))
        self.name = getattr(view, "ordering_name", "") or "default"
        self.base_url = request.build_absolute_uri()
        size = self.page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        values, reverse = self._decode(queryset.model, cursor) if cursor else (None, False)
        keys = [k.reversed() for k in self.keys] if reverse else list(self.keys)
        computed = {k.field: k.expression for k in self.keys if k.expression is not None}
        # after values() too: the row then carries the computed key for the cursor
        qs = queryset.annotate(**computed) if computed else queryset
        qs = qs.order_by(*[k.order_by() for k in keys])
        if values is not None:
            qs = qs.filter(keyset_after(keys, values))
        rows = list(qs[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        first, last = (self._row_values(rows[0]), self._row_values(rows[-1])) if rows else (None, None)
        self.next_values = last if (has_more if not reverse else values is not None) else None
        self.previous_values = first if (has_more if reverse else values is not None) else None
        return rows

    def _link(self, values: list[Any] | None, reverse: bool) -> str | None:
        if values is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, self._encode(values, reverse))

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self._link(self.next_values, False),
                "previous": self._link(self.previous_values, True),
                "results": data,
            }
        )

    def first_page_link(self) -> str:
        return remove_query_param(self.base_url, self.cursor_query_param)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
