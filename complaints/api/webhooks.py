"""Webhook subscriptions of API clients: CRUD, secret rotation, the delivery log, dead letters.

Every query is filtered by the API client: the account and the API key that made the
subscription, so another client's subscription answers 404, even another key of the same
account. Dead letters are listed (and replayed) only for complaints the account still sees.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import services
from complaints.access import visible_complaints
from complaints.api import serializers as s
from complaints.api.base import MAX_ID, ApiView, parse_id
from complaints.api.pagination import Key
from complaints.api.schema import error_responses
from complaints.models import ApiKey, OutboxMessage, OutboxStatus, WebhookDelivery, WebhookSubscription

ID_PARAM = OpenApiParameter("id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH)


def calling_key(request: Request) -> ApiKey | None:
    """The API key the request came with (None for a signed-in browser session)."""
    return request.auth if isinstance(request.auth, ApiKey) else None


def client_q(request: Request, prefix: str = "") -> Q:
    """Subscriptions of this client: its account and its key (a session sees only key-less ones)."""
    return Q(**{f"{prefix}owner_id": request.user.pk, f"{prefix}api_key": calling_key(request)})


def owned_subscription(request: Request, pk: Any) -> WebhookSubscription:
    sub = WebhookSubscription.objects.filter(client_q(request), pk=parse_id(pk)).first()
    if sub is None:
        raise exceptions.NotFound()
    return sub


class WebhookView(ApiView):
    permission_classes = [IsAuthenticated]


class WebhookListView(WebhookView):
    ordering = (Key("id"),)

    @extend_schema(
        operation_id="webhooks_list",
        summary="Your webhook subscriptions",
        responses={200: s.WebhookSubscriptionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = self.paginate_queryset(WebhookSubscription.objects.filter(client_q(request)))
        return self.get_paginated_response(s.WebhookSubscriptionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe a URL to events",
        description="Deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, "
        "webhook-signature) with the `secret` returned here once. You receive events only for complaints "
        "your account may see.",
        request=s.WebhookSubscriptionSerializer,
        responses={201: s.WebhookSubscriptionSecretSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        serializer = s.WebhookSubscriptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub = services.webhook_subscribe(owner=request.user, api_key=calling_key(request), **serializer.validated_data)
        return Response(s.WebhookSubscriptionSecretSerializer(sub).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(WebhookView):
    @extend_schema(
        operation_id="webhooks_retrieve",
        parameters=[ID_PARAM],
        responses={200: s.WebhookSubscriptionSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.WebhookSubscriptionSerializer(owned_subscription(request, pk)).data)

    @extend_schema(
        operation_id="webhooks_update",
        summary="Change the URL, the event types, or pause/resume",
        parameters=[ID_PARAM],
        request=s.WebhookSubscriptionSerializer(partial=True),
        responses={200: s.WebhookSubscriptionSerializer, **error_responses(400, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        sub = owned_subscription(request, pk)
        serializer = s.WebhookSubscriptionSerializer(sub, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        sub = services.webhook_update(subscription=sub, changes=dict(serializer.validated_data))
        return Response(s.WebhookSubscriptionSerializer(sub).data)

    @extend_schema(operation_id="webhooks_delete", parameters=[ID_PARAM], responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.webhook_unsubscribe(subscription=owned_subscription(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(WebhookView):
    @extend_schema(
        operation_id="webhooks_rotate",
        summary="Rotate the signing secret",
        description="Returns the new secret once. Until `previous_secret_expires_at` "
        "(WEBHOOK_SECRET_OVERLAP_HOURS) deliveries carry signatures with both secrets.",
        parameters=[ID_PARAM],
        request=None,
        responses={200: s.WebhookSubscriptionSecretSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        sub = owned_subscription(request, pk)
        services.webhook_secret_rotate(subscription=sub)
        return Response(s.WebhookSubscriptionSecretSerializer(sub).data)


class WebhookDeliveriesView(WebhookView):
    ordering = (Key("id", desc=True),)

    @extend_schema(
        operation_id="webhooks_deliveries",
        summary="The delivery log of a subscription (newest first)",
        parameters=[ID_PARAM],
        responses={200: s.WebhookDeliverySerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        sub = owned_subscription(request, pk)
        rows = self.paginate_queryset(WebhookDelivery.objects.filter(subscription=sub).select_related("message"))
        return self.get_paginated_response(s.WebhookDeliverySerializer(rows, many=True).data)


def dead_letters(request: Request) -> QuerySet[OutboxMessage]:
    # Only complaints the account still sees: a dead letter's code would tell one exists.
    seen = Q(complaint__isnull=True) | Q(complaint__in=visible_complaints(request.user).values("pk"))
    return OutboxMessage.objects.filter(
        client_q(request, "subscription__"), seen, status=OutboxStatus.DEAD
    ).select_related("complaint")


class DeadLetterListView(WebhookView):
    ordering = (Key("id", desc=True),)

    @extend_schema(
        operation_id="webhooks_dead_letters",
        summary="Dead-lettered messages of your subscriptions (delivery gave up)",
        responses={200: s.DeadLetterSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = self.paginate_queryset(dead_letters(request))
        return self.get_paginated_response(s.DeadLetterSerializer(rows, many=True).data)


class DeadLetterReplayView(WebhookView):
    @extend_schema(
        operation_id="webhooks_dead_letters_replay",
        summary="Deliver a dead-lettered message again",
        description="Sets it pending with attempts reset and hands it to the delivery worker.",
        parameters=[ID_PARAM],
        request=None,
        responses={202: s.DeadLetterSerializer, **error_responses(404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        message = dead_letters(request).filter(pk=parse_id(pk)).first()
        if message is None:
            raise exceptions.NotFound()
        message = services.outbox_replay(message=message)
        return Response(s.DeadLetterSerializer(message).data, status=status.HTTP_202_ACCEPTED)
