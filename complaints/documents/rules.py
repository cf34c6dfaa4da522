"""The document's choices as data: addressees, legal standings and remedies, their text per language, their defaults.

The defaults by category are a starting point a coordinator changes on the form; the
texts are plain strings per language (the document's language, not the user's), so a
Kazakh document can be made from a Russian page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.models import PollingStation, TerritorialUnit, UnitLevel

T = TypeVar("T")


class Addressee(models.TextChoices):
    PRECINCT = "precinct", _("Precinct election commission of the polling station")
    DISTRICT = "district", _("Territorial (district or city) election commission")
    REGION = "region", _("Regional election commission")
    CENTRAL = "central", _("Central Election Commission")
    COURT = "court", _("Court")
    PROSECUTOR = "prosecutor", _("Prosecutor's office")
    POLICE = "police", _("Police")


class Standing(models.TextChoices):
    OBSERVER = "observer", _("Observer of an organisation")
    PROXY = "proxy", _("Candidate's proxy")
    CANDIDATE = "candidate", _("Candidate")
    VOTER = "voter", _("Voter")
    JOURNALIST = "journalist", _("Journalist")
    ORGANISATION = "organisation", _("The organisation, on behalf of an anonymous witness")


class Remedy(models.TextChoices):
    INVESTIGATE = "investigate", _("Inquire into the facts and answer in writing")
    STOP = "stop", _("Stop the violation and remedy its consequences")
    RESTORE_RIGHTS = "restore_rights", _("Restore the complainant's rights")
    RECOUNT = "recount", _("Recount the votes at the polling station")
    ANNUL = "annul", _("Declare the results at the polling station invalid")
    HOLD_LIABLE = "hold_liable", _("Hold those responsible liable")


# Longest matching category-code prefix wins; "" is the fallback.
DEFAULT_ADDRESSEE: dict[str, Addressee] = {
    "": Addressee.DISTRICT,
    "voter_list": Addressee.PRECINCT,
    "campaign": Addressee.REGION,
    "speech": Addressee.REGION,
    "admin_resource": Addressee.REGION,
    "speech.journalists": Addressee.PROSECUTOR,
    "vote_buying": Addressee.PROSECUTOR,
}
DEFAULT_REMEDIES: dict[str, tuple[Remedy, ...]] = {
    "": (Remedy.INVESTIGATE,),
    "ballot": (Remedy.INVESTIGATE, Remedy.HOLD_LIABLE),
    "ballot.stuffing": (Remedy.ANNUL, Remedy.HOLD_LIABLE),
    "ballot.carousel": (Remedy.ANNUL, Remedy.HOLD_LIABLE),
    "count": (Remedy.RECOUNT, Remedy.HOLD_LIABLE),
    "observer": (Remedy.RESTORE_RIGHTS, Remedy.HOLD_LIABLE),
    "campaign": (Remedy.STOP, Remedy.INVESTIGATE),
    "speech": (Remedy.STOP, Remedy.INVESTIGATE),
    "pressure": (Remedy.STOP, Remedy.HOLD_LIABLE),
    "vote_buying": (Remedy.INVESTIGATE, Remedy.HOLD_LIABLE),
    "admin_resource": (Remedy.STOP, Remedy.HOLD_LIABLE),
}


def _by_prefix(table: Mapping[str, T], code: str) -> T:
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in table:
            return table[key]
    return table[""]


def default_addressee(category_code: str) -> Addressee:
    return _by_prefix(DEFAULT_ADDRESSEE, category_code)


def default_remedies(category_code: str) -> list[Remedy]:
    return list(_by_prefix(DEFAULT_REMEDIES, category_code))


# --- texts in the document's language ------------------------------------------------

ADDRESSEE_TEXT: dict[str, dict[Addressee, str]] = {
    "ru": {
        Addressee.PRECINCT: "Участковая избирательная комиссия избирательного участка № {station}",
        Addressee.DISTRICT: "Территориальная избирательная комиссия: {district}",
        Addressee.REGION: "Областная (городская) избирательная комиссия: {region}",
        Addressee.CENTRAL: "Центральная избирательная комиссия {country_of}",
        Addressee.COURT: "Районный (городской) суд: {district}",
        Addressee.PROSECUTOR: "Прокуратура: {district}",
        Addressee.POLICE: "Отдел полиции: {district}",
    },
    "kk": {
        Addressee.PRECINCT: "№ {station} сайлау учаскесінің учаскелік сайлау комиссиясы",
        Addressee.DISTRICT: "{district} аумақтық сайлау комиссиясы",
        Addressee.REGION: "{region} облыстық (қалалық) сайлау комиссиясы",
        Addressee.CENTRAL: "{country_of} Орталық сайлау комиссиясы",
        Addressee.COURT: "{district} аудандық (қалалық) соты",
        Addressee.PROSECUTOR: "{district} прокуратурасы",
        Addressee.POLICE: "{district} полиция бөлімі",
    },
    "en": {
        Addressee.PRECINCT: "Precinct Election Commission of polling station No. {station}",
        Addressee.DISTRICT: "Territorial Election Commission of {district}",
        Addressee.REGION: "Regional Election Commission of {region}",
        Addressee.CENTRAL: "Central Election Commission of {country_of}",
        Addressee.COURT: "District (city) court of {district}",
        Addressee.PROSECUTOR: "Prosecutor's office of {district}",
        Addressee.POLICE: "Police department of {district}",
    },
}
COUNTRY_OF = {
    "KZ": {"ru": "Республики Казахстан", "kk": "Қазақстан Республикасының", "en": "the Republic of Kazakhstan"},
}

# {org}: the organisation, candidate or outlet the complainant stands for (may be empty).
STANDING_TEXT: dict[str, dict[Standing, tuple[str, str]]] = {
    # (with the organisation, without it)
    "ru": {
        Standing.OBSERVER: ("наблюдатель от {org}", "наблюдатель"),
        Standing.PROXY: ("доверенное лицо кандидата {org}", "доверенное лицо кандидата"),
        Standing.CANDIDATE: ("кандидат", "кандидат"),
        Standing.VOTER: ("избиратель", "избиратель"),
        Standing.JOURNALIST: ("представитель средства массовой информации {org}", "журналист"),
        Standing.ORGANISATION: (
            "{org}, в интересах свидетеля, пожелавшего сохранить анонимность",
            "в интересах свидетеля, пожелавшего сохранить анонимность",
        ),
    },
    "kk": {
        Standing.OBSERVER: ("{org} атынан байқаушы", "байқаушы"),
        Standing.PROXY: ("{org} кандидатының сенім білдірілген адамы", "кандидаттың сенім білдірілген адамы"),
        Standing.CANDIDATE: ("кандидат", "кандидат"),
        Standing.VOTER: ("сайлаушы", "сайлаушы"),
        Standing.JOURNALIST: ("{org} бұқаралық ақпарат құралының өкілі", "журналист"),
        Standing.ORGANISATION: (
            "{org}, атын құпия сақтауды қалаған куәгердің мүддесі үшін",
            "атын құпия сақтауды қалаған куәгердің мүддесі үшін",
        ),
    },
    "en": {
        Standing.OBSERVER: ("observer for {org}", "observer"),
        Standing.PROXY: ("proxy of candidate {org}", "candidate's proxy"),
        Standing.CANDIDATE: ("candidate", "candidate"),
        Standing.VOTER: ("voter", "voter"),
        Standing.JOURNALIST: ("journalist, {org}", "journalist"),
        Standing.ORGANISATION: (
            "{org}, on behalf of a witness who asked to remain anonymous",
            "on behalf of a witness who asked to remain anonymous",
        ),
    },
}

REMEDY_TEXT: dict[str, dict[Remedy, str]] = {
    "ru": {
        Remedy.INVESTIGATE: "провести проверку изложенных фактов и дать письменный ответ по существу жалобы",
        Remedy.STOP: "незамедлительно пресечь нарушение и устранить его последствия",
        Remedy.RESTORE_RIGHTS: "восстановить нарушенные права заявителя (обеспечить беспрепятственное наблюдение, "
        "выдать заверенную копию протокола)",
        Remedy.RECOUNT: "провести повторный подсчёт голосов на избирательном участке",
        Remedy.ANNUL: "признать итоги голосования на избирательном участке недействительными",
        Remedy.HOLD_LIABLE: "привлечь виновных лиц к ответственности, установленной законом",
    },
    "kk": {
        Remedy.INVESTIGATE: "баяндалған фактілерді тексеріп, шағымның мәні бойынша жазбаша жауап беру",
        Remedy.STOP: "бұзушылықты дереу тоқтатып, оның салдарын жою",
        Remedy.RESTORE_RIGHTS: "өтініш берушінің бұзылған құқықтарын қалпына келтіру (кедергісіз бақылауды "
        "қамтамасыз ету, хаттаманың куәландырылған көшірмесін беру)",
        Remedy.RECOUNT: "сайлау учаскесінде дауыстарды қайта санау",
        Remedy.ANNUL: "сайлау учаскесіндегі дауыс беру қорытындыларын жарамсыз деп тану",
        Remedy.HOLD_LIABLE: "кінәлі адамдарды заңда белгіленген жауапкершілікке тарту",
    },
    "en": {
        Remedy.INVESTIGATE: "inquire into the facts set out above and answer this complaint in writing on its merits",
        Remedy.STOP: "stop the violation at once and remedy its consequences",
        Remedy.RESTORE_RIGHTS: "restore the complainant's rights (unobstructed observation, a certified copy "
        "of the protocol)",
        Remedy.RECOUNT: "recount the votes at the polling station",
        Remedy.ANNUL: "declare the results of the vote at the polling station invalid",
        Remedy.HOLD_LIABLE: "hold those responsible liable as the law provides",
    },
}


def _ancestor(unit: TerritorialUnit | None, level: str) -> TerritorialUnit | None:
    while unit is not None and unit.level != level:
        unit = unit.parent
    return unit


def _name(unit: TerritorialUnit | None, language: str) -> str:
    if unit is None:
        return ""
    return getattr(unit, f"name_{language}", "") or unit.name_ru or unit.name_en


def addressee_text(
    kind: Addressee | str,
    *,
    language: str,
    station: PollingStation | None,
    unit: TerritorialUnit | None,
    country: str = "KZ",
) -> str:
    """The competent body's name in ``language``, found from the place in the territory.

    A precinct commission needs a polling station; without one the territorial commission
    of the unit is named. A level the tree lacks falls back to the nearest unit above it.
    """
    kind = Addressee(kind)
    if unit is None and station is not None:
        unit = station.unit
    if kind == Addressee.PRECINCT and station is None:
        kind = Addressee.DISTRICT
    district = _ancestor(unit, UnitLevel.DISTRICT) or unit
    region = _ancestor(unit, UnitLevel.REGION) or district
    country_unit = _ancestor(unit, UnitLevel.COUNTRY)
    country_of = COUNTRY_OF.get(country, {}).get(language) or _name(country_unit, language) or country
    texts = ADDRESSEE_TEXT.get(language, ADDRESSEE_TEXT["ru"])
    return texts[kind].format(
        station=station.number if station is not None else "",
        district=_name(district, language) or "—",
        region=_name(region, language) or "—",
        country_of=country_of,
    )


def standing_text(standing: Standing | str, *, language: str, organisation: str) -> str:
    with_org, without = STANDING_TEXT.get(language, STANDING_TEXT["ru"])[Standing(standing)]
    return with_org.format(org=organisation.strip()) if organisation.strip() else without


def remedy_text(remedy: Remedy | str, *, language: str) -> str:
    return REMEDY_TEXT.get(language, REMEDY_TEXT["ru"])[Remedy(remedy)]
