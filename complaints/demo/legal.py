"""The demo's legal data: the authority register, deadline rules, 2011 holidays, and a few cases at authorities.

The rules are Kazakhstan's Constitutional Law "On Elections in the Republic of Kazakhstan"
(28 September 1995 No. 2464, as amended by 2011) as the registry's authors read it. Every
rule is seeded with ``needs_legal_review=True``: the articles and periods must be checked
by a lawyer against the text in force before anyone relies on them.

Like the rest of the demo seed, every step creates what is missing and changes nothing
that exists (matched on authority code, rule kind + body + reference, holiday date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services
from complaints.demo.data import LOCAL_TZ
from complaints.models import (
    Authority,
    AuthorityKind,
    AuthorityLevel,
    Complaint,
    DayCount,
    DeadlineKind,
    DeadlineRule,
    Election,
    Holiday,
    RespondentKind,
    Submission,
    TerritorialUnit,
)

LAW = "Конституционный закон РК «О выборах в Республике Казахстан» от 28.09.1995 № 2464"
K, L = AuthorityKind, AuthorityLevel

# code, kind, level, unit, appeals_to, name_ru, name_kk, name_en (appeals_to listed before use)
AUTHORITIES: tuple[tuple[str, str, str, str | None, str | None, str, str, str], ...] = (
    ("kz-supreme-court", K.COURT, L.CASSATION, "kz", None, "Верховный суд Республики Казахстан",
     "Қазақстан Республикасының Жоғарғы Соты", "Supreme Court of the Republic of Kazakhstan"),
    ("kz-cec", K.COMMISSION, L.CENTRAL, "kz", "kz-supreme-court",
     "Центральная избирательная комиссия Республики Казахстан",
     "Қазақстан Республикасының Орталық сайлау комиссиясы", "Central Election Commission of Kazakhstan"),
    ("pav-oec", K.COMMISSION, L.REGIONAL, "pav", "kz-cec", "Павлодарская областная избирательная комиссия",
     "Павлодар облыстық сайлау комиссиясы", "Pavlodar Regional Election Commission"),
    ("pav-pavlodar-tec", K.COMMISSION, L.TERRITORIAL, "pav-pavlodar", "pav-oec",
     "Павлодарская городская территориальная избирательная комиссия",
     "Павлодар қалалық аумақтық сайлау комиссиясы", "Pavlodar City Territorial Election Commission"),
    ("pav-ekibastuz-tec", K.COMMISSION, L.TERRITORIAL, "pav-ekibastuz", "pav-oec",
     "Экибастузская городская территориальная избирательная комиссия",
     "Екібастұз қалалық аумақтық сайлау комиссиясы", "Ekibastuz City Territorial Election Commission"),
    ("pav-ekibastuz-pec-512", K.COMMISSION, L.PRECINCT, "pav-ekibastuz", "pav-ekibastuz-tec",
     "Участковая избирательная комиссия № 512 (г. Экибастуз)", "№ 512 учаскелік сайлау комиссиясы (Екібастұз)",
     "Precinct Election Commission No. 512 (Ekibastuz)"),
    ("ala-cec", K.COMMISSION, L.REGIONAL, "ala", "kz-cec", "Алматинская городская избирательная комиссия",
     "Алматы қалалық сайлау комиссиясы", "Almaty City Election Commission"),
    ("ala-bostandyk-tec", K.COMMISSION, L.TERRITORIAL, "ala-bostandyk", "ala-cec",
     "Бостандыкская районная территориальная избирательная комиссия г. Алматы",
     "Алматы қаласы Бостандық аудандық аумақтық сайлау комиссиясы", "Bostandyk District Territorial Commission"),
    ("ala-almaly-tec", K.COMMISSION, L.TERRITORIAL, "ala-almaly", "ala-cec",
     "Алмалинская районная территориальная избирательная комиссия г. Алматы",
     "Алматы қаласы Алмалы аудандық аумақтық сайлау комиссиясы", "Almaly District Territorial Commission"),
    ("pav-oblast-court", K.COURT, L.APPEAL, "pav", "kz-supreme-court", "Павлодарский областной суд",
     "Павлодар облыстық соты", "Pavlodar Regional Court"),
    ("pav-pavlodar-court", K.COURT, L.FIRST_INSTANCE, "pav-pavlodar", "pav-oblast-court",
     "Павлодарский городской суд", "Павлодар қалалық соты", "Pavlodar City Court"),
    ("ala-prosecutor", K.PROSECUTOR, L.REGIONAL, "ala", None, "Прокуратура г. Алматы", "Алматы қаласының прокуратурасы",
     "Almaty City Prosecutor's Office"),
    ("pav-police", K.POLICE, L.REGIONAL, "pav", None, "Департамент внутренних дел Павлодарской области",
     "Павлодар облысының Ішкі істер департаменті", "Pavlodar Region Police Department"),
)  # fmt: skip


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    amount: int
    reference: str
    authority_kind: str = ""
    day_count: str = DayCount.CALENDAR
    immediate: bool = False
    note: str = ""


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(DeadlineKind.FILING, 10, f"{LAW}, ст. 20",
             note="Обжалование решений и действий (бездействия) избирательных комиссий: в десятидневный срок."),
    RuleSpec(DeadlineKind.FILING_AFTER_DECISION, 10, f"{LAW}, ст. 20",
             note="Обжалование решения комиссии в вышестоящую комиссию или в суд."),
    RuleSpec(DeadlineKind.ANSWER, 5, f"{LAW}, ст. 20", K.COMMISSION, immediate=True,
             note="Жалобы рассматриваются в пятидневный срок, а в день голосования и накануне — немедленно."),
    RuleSpec(DeadlineKind.ANSWER, 5, f"{LAW}, ст. 20", K.COURT, immediate=True,
             note="Заявления о нарушениях законодательства о выборах: в пятидневный срок, в день голосования и "
             "накануне — немедленно."),
    RuleSpec(DeadlineKind.ANSWER, 5, f"{LAW}, ст. 20", K.PROSECUTOR, immediate=True,
             note="Как для суда: органы прокуратуры обязаны принимать и рассматривать заявления."),
    RuleSpec(DeadlineKind.ANSWER, 15, "Закон РК «О порядке рассмотрения обращений физических и юридических лиц» "
             "от 12.01.2007 № 221, ст. 8", K.POLICE, note="Общий срок рассмотрения обращений."),
    RuleSpec(DeadlineKind.APPEAL, 10, f"{LAW}, ст. 20",
             note="Решение может быть обжаловано в вышестоящую комиссию или в суд в десятидневный срок."),
)  # fmt: skip

# Kazakhstan's days off in 2011: public holidays, and the Monday/Tuesday after one that fell on a weekend.
HOLIDAYS_2011: tuple[tuple[date, str], ...] = (
    (date(2011, 1, 1), "Новый год"),
    (date(2011, 1, 2), "Новый год"),
    (date(2011, 1, 3), "Новый год (перенос с субботы)"),
    (date(2011, 1, 4), "Новый год (перенос с воскресенья)"),
    (date(2011, 1, 7), "Православное Рождество"),
    (date(2011, 3, 8), "Международный женский день"),
    (date(2011, 3, 21), "Наурыз мейрамы"),
    (date(2011, 3, 22), "Наурыз мейрамы"),
    (date(2011, 3, 23), "Наурыз мейрамы"),
    (date(2011, 5, 1), "Праздник единства народа Казахстана"),
    (date(2011, 5, 2), "Праздник единства народа Казахстана (перенос с воскресенья)"),
    (date(2011, 5, 9), "День Победы"),
    (date(2011, 7, 6), "День столицы"),
    (date(2011, 8, 30), "День Конституции"),
    (date(2011, 10, 25), "День Республики"),
    (date(2011, 12, 16), "День Независимости"),
    (date(2011, 12, 17), "День Независимости"),
    (date(2011, 12, 19), "День Независимости (перенос с субботы)"),
)


def authorities_seed() -> int:
    existing = {a.code: a for a in Authority.objects.all()}
    units = {u.code: u for u in TerritorialUnit.objects.filter(code__in={a[3] for a in AUTHORITIES if a[3]})}
    created = 0
    for code, kind, level, unit, appeals_to, name_ru, name_kk, name_en in AUTHORITIES:
        if code in existing:
            continue
        existing[code] = Authority.objects.create(
            code=code,
            kind=kind,
            level=level,
            unit=units.get(unit or ""),
            appeals_to=existing.get(appeals_to or ""),
            name_ru=name_ru,
            name_kk=name_kk,
            name_en=name_en,
        )
        created += 1
    return created


def rules_seed() -> int:
    created = 0
    for spec in RULES:
        _, made = DeadlineRule.objects.get_or_create(
            country="KZ",
            election=None,
            kind=spec.kind,
            authority_kind=spec.authority_kind,
            legal_reference=spec.reference,
            defaults={
                "amount": spec.amount,
                "day_count": spec.day_count,
                "immediate_near_voting_day": spec.immediate,
                "note": spec.note,
                "needs_legal_review": True,
            },
        )
        created += made
    return created


def holidays_seed() -> int:
    existing = set(Holiday.objects.filter(country="KZ").values_list("date", flat=True))
    rows = [Holiday(country="KZ", date=d, name=n) for d, n in HOLIDAYS_2011 if d not in existing]
    Holiday.objects.bulk_create(rows)
    return len(rows)


def legal_seed() -> dict[str, int]:
    """The register, the rules and the holidays (before any complaint is escalated)."""
    return {"authorities": authorities_seed(), "rules": rules_seed(), "holidays": holidays_seed()}


# --- demo cases --------------------------------------------------------------------------------

PDF = (  # a real one-page PDF: evidence and decision files are opened before they are accepted
    b"%PDF-1.4\n"
    b"1 0 obj\n"
    b"<< /Type /Catalog /Pages 2 0 R >>\n"
    b"endobj\n"
    b"2 0 obj\n"
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>\n"
    b"endobj\n"
    b"3 0 obj\n"
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\n"
    b"endobj\n"
    b"4 0 obj\n"
    b"<< /Length 43 >>\n"
    b"stream\n"
    b"BT /F1 12 Tf 20 50 Td (Demo decision) Tj ET\n"
    b"endstream\n"
    b"endobj\n"
    b"5 0 obj\n"
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\n"
    b"endobj\n"
    b"xref\n"
    b"0 6\n"
    b"0000000000 65535 f \n"
    b"0000000009 00000 n \n"
    b"0000000058 00000 n \n"
    b"0000000115 00000 n \n"
    b"0000000241 00000 n \n"
    b"0000000334 00000 n \n"
    b"trailer\n"
    b"<< /Size 6 /Root 1 0 R >>\n"
    b"startxref\n"
    b"404\n"
    b"%%EOF\n"
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class DemoStep:
    authority: str
    submitted_at: str
    number: str
    outcome: str = ""  # a DecisionResult, or "" (left open: the sweeper marks it unanswered)
    decided_on: date | None = None
    text: str = ""


@dataclass(frozen=True)
class DemoCase:
    complaint: str  # the demo complaint's key
    steps: tuple[DemoStep, ...]  # the first submission, then each appeal
    respondent: tuple[str, str] | None = None
    reply: str = ""


CASES: tuple[DemoCase, ...] = (
    DemoCase("pav-clinic-calls", (
        DemoStep("pav-pavlodar-tec", "2011-03-31T10:00", "вх. № 45", "upheld", date(2011, 4, 4),
                 "Комиссия признала давление на сотрудников поликлиники нарушением и направила материалы в акимат."),
    ), (RespondentKind.EMPLOYER, "Главный врач городской поликлиники № 1")),
    DemoCase("ala-stuffing-video", (
        DemoStep("ala-cec", "2011-04-04T11:00", "вх. № 3-377", "rejected", date(2011, 4, 8),
                 "Отказать: видеозапись не позволяет установить участок и время."),
        DemoStep("kz-cec", "2011-04-12T15:00", "вх. № 15-1102", "rejected", date(2011, 4, 16),
                 "Жалоба оставлена без удовлетворения, решение городской комиссии оставлено в силе."),
    ), (RespondentKind.COMMISSION_MEMBER, "Председатель участковой избирательной комиссии № 201"),
        "Вброса не было; на видео — члены комиссии пересчитывают бюллетени."),
    DemoCase("ala-dorm-students", (
        DemoStep("ala-bostandyk-tec", "2011-04-02T18:00", "вх. № 12", "returned", date(2011, 4, 5),
                 "Возвращено без рассмотрения: жалоба подана не по подведомственности."),
    )),
    DemoCase("pav-teachers-512", (
        DemoStep("pav-ekibastuz-tec", "2011-03-29T12:00", "вх. № 31"),  # never answered
    ), (RespondentKind.OFFICIAL, "Директор средней школы № 5 г. Экибастуза")),
    DemoCase("ala-protocol-copy", (
        DemoStep("ala-cec", "2011-04-04T09:30", "вх. № 3-365", "partly_upheld", date(2011, 4, 7),
                 "Обязать УИК № 401 выдать наблюдателю заверенную копию протокола."),
    )),
)  # fmt: skip


def cases_seed(*, election: Election, coordinator: Any) -> int:
    """File the demo cases with their authorities through the services; skip complaints that have one."""
    from complaints.demo import data

    descriptions = {c.key: c.description for c in data.complaints()}
    authorities = {a.code: a for a in Authority.objects.all()}
    created = 0
    for case in CASES:
        if case.complaint not in descriptions:  # an older, shorter demo file
            continue
        complaint = Complaint.objects.filter(election=election, description=descriptions[case.complaint]).first()
        if complaint is None or Submission.objects.filter(complaint=complaint).exists():
            continue
        previous: Submission | None = None
        for step in case.steps:
            common = {
                "actor": coordinator,
                "authority": authorities[step.authority],
                "channel": "in_person",
                "submitted_at": _at(step.submitted_at),
                "registration_number": step.number,
            }
            if previous is None:
                submission = services.submission_file(complaint=complaint, **common)
            else:
                submission = services.submission_appeal(submission=previous, **common)
            if step.outcome:
                upload = SimpleUploadedFile("решение.pdf", PDF, content_type="application/pdf")
                services.submission_record_outcome(
                    submission=submission,
                    actor=coordinator,
                    outcome=step.outcome,
                    decided_on=step.decided_on,
                    text=step.text,
                    upload=upload,
                )
            previous = submission
        if case.respondent:
            respondent = services.respondent_add(
                complaint=complaint, actor=coordinator, kind=case.respondent[0], name=case.respondent[1]
            )
            if case.reply:
                services.respondent_reply_add(
                    respondent=respondent, actor=coordinator, received_on=date(2011, 4, 6), text=case.reply
                )
        created += 1
    return created
