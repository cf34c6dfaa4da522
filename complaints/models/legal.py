"""The legal case: authorities, deadline rules and holidays, submissions, decisions, appeals, respondents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models.complaint import Complaint
from complaints.models.taxonomy import localized
from complaints.models.territory import Election, TerritorialUnit

UNREVIEWED_HELP = _(
    "Seeded from the Constitutional Law “On Elections” as the registry's authors read it; NOT reviewed by a "
    "lawyer. Check the article and the period against the law in force before relying on it."
)


class AuthorityKind(models.TextChoices):
    COMMISSION = "commission", _("Election commission")
    COURT = "court", _("Court")
    PROSECUTOR = "prosecutor", _("Prosecutor's office")
    POLICE = "police", _("Police")
    OTHER = "other", _("Other body")


class AuthorityLevel(models.TextChoices):
    PRECINCT = "precinct", _("Precinct")
    TERRITORIAL = "territorial", _("Territorial")
    DISTRICT = "district", _("District")
    REGIONAL = "regional", _("Regional")
    CENTRAL = "central", _("Central")
    FIRST_INSTANCE = "first_instance", _("First instance")
    APPEAL = "appeal", _("Appeal instance")
    CASSATION = "cassation", _("Cassation")
    OTHER = "other", _("Other")


class Authority(models.Model):
    """A body complaints are filed with: a commission of some level, a court, a prosecutor, the police."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=AuthorityKind.choices)
    level = models.CharField(_("level"), max_length=16, choices=AuthorityLevel.choices, default=AuthorityLevel.OTHER)
    name_ru = models.CharField(_("name (ru)"), max_length=300)
    name_kk = models.CharField(_("name (kk)"), max_length=300, blank=True)
    name_en = models.CharField(_("name (en)"), max_length=300, blank=True)
    unit = models.ForeignKey(
        TerritorialUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorities",
        verbose_name=_("territorial unit"),
        help_text=_("The territory the body is competent for (empty: the whole country)."),
    )
    appeals_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appealed_from",
        verbose_name=_("appeals go to"),
        help_text=_("The next body in the appeal chain."),
    )
    country = models.CharField(_("country"), max_length=2, default="KZ")
    address = models.CharField(_("address"), max_length=300, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "level", "code"]
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class DeadlineKind(models.TextChoices):
    FILING = "filing", _("Filing window after the incident")
    FILING_AFTER_DECISION = "filing_after_decision", _("Filing window after the decision challenged")
    ANSWER = "answer", _("Time the authority has to answer")
    APPEAL = "appeal", _("Appeal window after a decision")


class DayCount(models.TextChoices):
    CALENDAR = "calendar", _("calendar days")
    WORKING = "working", _("working days")


class DeadlineRule(models.Model):
    """One statutory period, as data: per jurisdiction (and election), per kind, optionally per kind of body."""

    country = models.CharField(_("jurisdiction"), max_length=2, default="KZ")
    election = models.ForeignKey(
        Election,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadline_rules",
        verbose_name=_("election"),
        help_text=_("Empty: every election in the jurisdiction."),
    )
    kind = models.CharField(_("what the period is for"), max_length=24, choices=DeadlineKind.choices)
    authority_kind = models.CharField(
        _("kind of body"), max_length=12, choices=AuthorityKind.choices, blank=True, help_text=_("Empty: any body.")
    )
    authority_level = models.CharField(
        _("level of body"), max_length=16, choices=AuthorityLevel.choices, blank=True, help_text=_("Empty: any level.")
    )
    amount = models.PositiveSmallIntegerField(_("length"))
    day_count = models.CharField(_("counted in"), max_length=10, choices=DayCount.choices, default=DayCount.CALENDAR)
    roll_to_working_day = models.BooleanField(
        _("a period ending on a day off ends on the next working day"), default=True
    )
    immediate_near_voting_day = models.BooleanField(
        _("at once on voting day and the day before"),
        default=False,
        help_text=_("On voting day and the day before, the matter is considered at once."),
    )
    urgent_hours = models.PositiveSmallIntegerField(
        _("“at once” means within (hours)"),
        default=24,
        help_text=_("How the registry counts “at once” for its reminders."),
    )
    legal_reference = models.CharField(_("legal reference"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    needs_legal_review = models.BooleanField(_("needs legal review"), default=True, help_text=UNREVIEWED_HELP)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "kind", "authority_kind", "authority_level", "id"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} {self.get_day_count_display()} ({self.legal_reference})"


class Holiday(models.Model):
    """A public holiday (a day off), or a weekend day made a working day by a transfer."""

    country = models.CharField(_("country"), max_length=2, default="KZ")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    is_day_off = models.BooleanField(
        _("day off"), default=True, help_text=_("Untick for a weekend day that is a working day by transfer.")
    )

    class Meta:
        ordering = ["country", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["country", "date"], name="holiday_country_date")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class SubmissionChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    POST = "post", _("By post")
    E_GOVERNMENT = "e_government", _("E-government portal")
    EMAIL = "email", _("By email")
    UNKNOWN = "unknown", _("Not recorded")


class SubmissionState(models.TextChoices):
    FILED = "filed", _("Filed")
    REGISTERED = "registered", _("Registered")
    UNDER_CONSIDERATION = "under_consideration", _("Under consideration")
    DECIDED = "decided", _("Decided")
    NO_ANSWER = "no_answer", _("No answer by the deadline")


class Submission(models.Model):
    """A complaint (or several about one incident) filed with an authority; an appeal is one too."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("complaint")
    )
    also_covers = models.ManyToManyField(
        Complaint, blank=True, related_name="joined_submissions", verbose_name=_("other complaints it covers")
    )
    authority = models.ForeignKey(
        Authority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("authority"),
    )
    authority_text = models.CharField(
        _("authority (as written)"), max_length=300, blank=True, help_text=_("When the body is not in the register.")
    )
    channel = models.CharField(_("how"), max_length=14, choices=SubmissionChannel.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    registration_number = models.CharField(_("registration number"), max_length=120, blank=True)
    document_sha256 = models.CharField(_("SHA-256 of the document filed"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=SubmissionState.choices, default=SubmissionState.FILED, editable=False
    )
    answer_due_at = models.DateTimeField(_("answer due"), null=True, blank=True, editable=False)
    deadline_rule = models.ForeignKey(
        DeadlineRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("deadline rule"),
    )
    appeal_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("appeal against"),
        help_text=_("The submission whose decision (or missing answer) this one challenges."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [models.Index(fields=["complaint", "submitted_at"], name="submission_complaint")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in SubmissionState]), name="submission_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(authority__isnull=False) | ~Q(authority_text=""), name="submission_has_authority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.authority_label}"

    @property
    def authority_label(self) -> str:
        return self.authority.name if self.authority_id and self.authority else self.authority_text


class DecisionResult(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned without consideration")


def decision_path(instance: Decision, filename: str) -> str:
    return f"decisions/{instance.submission.complaint.code}/{filename}"


class Decision(models.Model):
    """The authority's decision on a submission; its document is hashed like evidence."""

    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="decision", verbose_name=_("submission")
    )
    result = models.CharField(_("result"), max_length=16, choices=DecisionResult.choices)
    decided_on = models.DateField(_("decision date"))
    text = models.TextField(_("decision text"), blank=True)
    file = models.FileField(_("decision document"), upload_to=decision_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("sha256"))
    size = models.PositiveBigIntegerField(null=True, blank=True, editable=False, verbose_name=_("size"))
    content_type = models.CharField(max_length=100, blank=True, editable=False, verbose_name=_("content type"))
    original_name = models.CharField(max_length=200, blank=True, editable=False, verbose_name=_("original name"))
    appeal_due_at = models.DateTimeField(_("appeal due"), null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.get_result_display()} ({self.decided_on})"


class CaseDeadlineState(models.TextChoices):
    OPEN = "open", _("Running")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    MOOT = "moot", _("No longer applies")


class CaseDeadline(models.Model):
    """A running statutory clock on a complaint: to file, for the answer, to appeal. The queue sorts on it."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="case_deadlines", verbose_name=_("complaint")
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("submission"),
    )
    kind = models.CharField(_("what it is for"), max_length=24, choices=DeadlineKind.choices)
    due_at = models.DateTimeField(_("due at"))
    urgent = models.BooleanField(
        default=False, help_text=_("Counted as “at once” (voting day or the day before)."), verbose_name=_("urgent")
    )
    rule = models.ForeignKey(
        DeadlineRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    legal_reference = models.CharField(_("legal reference"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=CaseDeadlineState.choices, default="open")
    opened_at = models.DateTimeField(auto_now_add=True, verbose_name=_("opened at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("case deadline")
        verbose_name_plural = _("case deadlines")
        indexes = [
            models.Index(fields=["state", "due_at"], name="case_deadline_due"),
            models.Index(fields=["complaint", "state", "due_at"], name="case_deadline_complaint"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"


class DeadlineWarning(models.Model):
    """The marker that a warning (24 h, 2 h before) or the miss of a deadline was sent: once each."""

    deadline = models.ForeignKey(
        CaseDeadline, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("deadline")
    )
    threshold = models.CharField(max_length=12, verbose_name=_("threshold"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deadline", "threshold"], name="deadline_warning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline_id}:{self.threshold}"


class RespondentKind(models.TextChoices):
    OFFICIAL = "official", _("Official")
    COMMISSION_MEMBER = "commission_member", _("Commission member")
    CANDIDATE = "candidate", _("Candidate or party")
    EMPLOYER = "employer", _("Employer")
    POLICE = "police", _("Police")
    OTHER = "other", _("Other")


class Respondent(models.Model):
    """Whose actions the complaint challenges."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="respondents", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RespondentKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("respondent")
        verbose_name_plural = _("respondents")

    def __str__(self) -> str:
        return self.name


def reply_path(instance: RespondentReply, filename: str) -> str:
    return f"replies/{instance.respondent.complaint.code}/{filename}"


class RespondentReply(models.Model):
    """The respondent's reply (right of reply), with its date and file."""

    respondent = models.ForeignKey(
        Respondent, on_delete=models.PROTECT, related_name="replies", verbose_name=_("respondent")
    )
    received_on = models.DateField(_("received on"))
    text = models.TextField(_("reply"), blank=True)
    file = models.FileField(_("file"), upload_to=reply_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("sha256"))
    size = models.PositiveBigIntegerField(null=True, blank=True, editable=False, verbose_name=_("size"))
    content_type = models.CharField(max_length=100, blank=True, editable=False, verbose_name=_("content type"))
    original_name = models.CharField(max_length=200, blank=True, editable=False, verbose_name=_("original name"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("respondent's reply")
        verbose_name_plural = _("respondents' replies")

    def __str__(self) -> str:
        return f"reply of {self.respondent_id} ({self.received_on})"
