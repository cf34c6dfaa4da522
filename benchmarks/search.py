"""Staff search: a reviewer's first page of 50 for ``q=`` over a large table (docs/search.md).

Target: p95 < 100 ms with BENCH_COMPLAINTS complaints (default 1,000,000, the reviewer queue's
table, generated once and reused). The searches mix what reviewers type: a town name in
another case, a description word matching about an eighth of all complaints, two words, a
misspelt town (trigram path), a receipt code without dashes and a polling station number;
the target is for a reviewer scoped to a region (as reviewers work); a nationwide coordinator,
whose common words rank every match in the country, is measured beside it without a target.
"""

from __future__ import annotations

from urllib.parse import urlencode

from benchmarks import common, data
from benchmarks.reviewer_queue import ensure_complaints

# As many clients as a small server has cores: no throughput target here, so more only queue.
CLIENTS = common.env_int("BENCH_SEARCH_CLIENTS", 2)
SECONDS = common.env_int("BENCH_SECONDS", 20)


def _searches(region_code: str, region_path: str) -> list[str]:
    """Search texts for the reviewer's region: its towns (declined, misspelt), words, a code, a station."""
    from complaints.models import Complaint, PollingStation, TerritorialUnit

    # A town of the region ("г. Экибастуз" in the demo's Pavlodar region), in the prepositional case.
    district = TerritorialUnit.objects.filter(parent__code=region_code).order_by("-name_ru").first()
    town = (district.name_ru if district else "г. Экибастуз").removeprefix("г. ").split()[0]
    station = PollingStation.objects.filter(unit__parent__code=region_code).order_by("number").first()
    code = Complaint.objects.filter(unit_path__startswith=region_path).values_list("code", flat=True).first()
    return [
        town + "е",  # "в Кокшетауе": a declined town name
        "бюллетень",  # in one description of eight: the widest match
        "наблюдателя подсчёту",  # two words, another form of each
        "продуктовые наборы кандидата",
        town[:-1] + ("с" if town[-1] != "с" else "з"),  # misspelt: found by trigram similarity
        (code or "ABCD-EFGH-JKMN").replace("-", "").lower(),  # a receipt code as typed
        station.number if station else "1",
        "акимата журналиста",
    ]


def _vacuum_if_needed() -> str:
    """The generated rows were written twice (COPY, then their search documents): vacuum once, so the
    measurement reads a table as it stands in production, not one full of dead row versions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT n_dead_tup, n_live_tup FROM pg_stat_user_tables WHERE relname = 'complaints_complaint'")
        dead, live = cursor.fetchone() or (0, 0)
        if dead <= max(live, 1) // 10:
            return "table already vacuumed"
        cursor.execute("VACUUM (ANALYZE) complaints_complaint")
    return f"vacuumed {dead:,} dead row versions first"


def _measure(port: int, key: str, searches: list[str]) -> common.Load:
    paths = ["/api/v1/complaints/?" + urlencode({"q": q, "page_size": 50}) for q in searches]
    headers = {"Authorization": f"Api-Key {key}"}

    def one(client: int, n: int) -> tuple[int, bytes, float]:
        return common.request("GET", port, paths[(client * 3 + n) % len(paths)], headers=headers)

    # Warm every worker (more clients than workers, so each serves every search) and the database cache.
    common.run_load(max(CLIENTS, common.workers() * 2), 3, one)
    return common.run_load(CLIENTS, SECONDS, one)


def run(port: int) -> common.Result:
    from complaints.models import Profile, TerritorialUnit, UnitLevel

    note = ensure_complaints(common.env_int("BENCH_COMPLAINTS", 1_000_000))
    vacuum = _vacuum_if_needed()
    regions = TerritorialUnit.objects.filter(level=UnitLevel.REGION)
    region = regions.filter(code="pav").first() or regions.order_by("code").first()
    reviewer = data.service_user("bench-reviewer", "reviewer", [region] if region else [])
    coordinator = data.service_user("bench-search-coordinator", "coordinator", [])
    Profile.objects.filter(user=coordinator).update(nationwide=True)
    searches = _searches(region.code if region else "", region.path if region else "-")
    with common.gunicorn(port) as server:
        meter = common.CpuMeter(server)
        with meter.measure():
            load = _measure(port, data.api_key(reviewer, "bench search"), searches)
        nationwide = _measure(port, data.api_key(coordinator, "bench search nationwide"), searches)
    errors = sum(len(x.errors) + sum(n for st, n in x.statuses.items() if st != 200) for x in (load, nationwide))
    result = common.Result("search")
    result.figures = [
        common.Figure("search pages per second", load.count / load.elapsed, "/s"),
        common.Figure("latency p50", load.median(), "ms"),
        common.Figure("latency p95", load.percentile(95), "ms", 100, higher_is_better=False),
        common.Figure("latency p99", load.percentile(99), "ms"),
        common.Figure("nationwide: latency p50", nationwide.median(), "ms"),
        common.Figure("nationwide: latency p95", nationwide.percentile(95), "ms"),
        common.Figure("errors", errors, "", 1, higher_is_better=False),
        *meter.figures(load.count, "page"),
    ]
    result.notes = [
        note,
        vacuum,
        f"{CLIENTS} clients x {SECONDS} s each, {common.server_description()}: a reviewer scoped to "
        f"{region.code if region else 'nowhere'} (the target), then a nationwide coordinator (every match in "
        "the country ranked; no target), GET /api/v1/complaints/?q=...&page_size=50",
        "searches: " + ", ".join(repr(q) for q in searches),
        meter.note(),
        *load.errors[:3],
        *nationwide.errors[:3],
    ]
    return result
