"""Demo published cases: two of the 2011 cases, summarised for the public, so ``make run`` shows /cases/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from complaints import services
from complaints.models import Complaint, Election, EvidenceCopyState, PublishedCase


@dataclass(frozen=True)
class DemoPublication:
    complaint: str  # the demo complaint's key (complaints/demo/complaints.json)
    summary: str
    titles: dict[str, str]


PUBLICATIONS = (
    DemoPublication(
        "pav-clinic-calls",
        "Главный врач городской поликлиники в Павлодарской области потребовал, чтобы сотрудники до полудня "
        "в день голосования сообщили по телефону, что проголосовали. Наблюдатели подали жалобу в областную "
        "избирательную комиссию; комиссия её удовлетворила.",
        {
            "ru": "Поликлиника: обзвон сотрудников в день голосования",
            "kk": "Емхана: дауыс беру күні қызметкерлерге қоңырау шалу",
            "en": "Clinic staff told to report that they had voted",
        },
    ),
    DemoPublication(
        "ala-stuffing-video",
        "Наблюдатель снял на видео, как член участковой комиссии в Алматы опускает в урну пачку сложенных "
        "бюллетеней, пока другой член комиссии загораживает урну. Территориальная комиссия отказала в "
        "жалобе; отказ обжалован и тоже не удовлетворён.",
        {
            "ru": "Алматы: вброс бюллетеней на видео",
            "kk": "Алматы: бюллетеньдерді салу бейнеге түсті",
            "en": "Almaty: ballot stuffing caught on video",
        },
    ),
)


def publications_seed(*, election: Election, coordinator: Any) -> int:
    """Publish the demo cases through the service; skip any complaint already published or not yet substantiated."""
    from complaints.demo import data

    descriptions = {c.key: c.description for c in data.complaints()}
    created = 0
    for item in PUBLICATIONS:
        if item.complaint not in descriptions:
            continue
        complaint = Complaint.objects.filter(election=election, description=descriptions[item.complaint]).first()
        if complaint is None or PublishedCase.objects.filter(complaint=complaint).exists():
            continue
        if complaint.status not in services.publication.PUBLISHABLE_STATUSES:
            continue
        ready = complaint.evidence.filter(public_state=EvidenceCopyState.READY).values_list("pk", flat=True)
        services.case_publish(
            complaint=complaint,
            summary=item.summary,
            titles=item.titles,
            evidence_ids=list(ready),
            actor=coordinator,
            acknowledge_warnings=True,  # the demo data is fictional; the warnings are the coordinator's call
        )
        created += 1
    return created
