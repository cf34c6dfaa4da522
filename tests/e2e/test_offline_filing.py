"""Offline-first filing in a real browser (issue 14's first acceptance point).

Chromium's offline mode (``context.set_offline``) cuts the page and its service worker off the
network. The SHA-256 of each photo is computed in the page, with ``crypto.subtle.digest`` over
the Blobs the queue holds in IndexedDB, and compared with the server's record and with the
test's own bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint
from tests.images import png_bytes

pytestmark = [pytest.mark.e2e]

OFFLINE_FILES = ("app.css", "app.js", "favicon.svg", "outbox.js", "print.css")
DESCRIPTION = "На участке №512 наблюдателя не пустили к урне, пока шёл подсчёт."

# Wait until the service worker controls the page and has kept the filing page.
WORKER_READY = """async () => {
  await navigator.serviceWorker.ready;
  for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) { await new Promise(r => setTimeout(r, 100)); }
  for (let i = 0; i < 100; i++) {
    for (const name of await caches.keys()) {
      if (await (await caches.open(name)).match("/file/")) { return name; }
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return null;
}"""
QUEUE = "() => RegistryOutbox.all()"
QUEUED_HASHES = """async () => {
  const hex = b => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, "0")).join("");
  const out = [];
  for (const entry of await RegistryOutbox.all()) {
    for (const f of entry.files) { out.push(hex(await crypto.subtle.digest("SHA-256", await f.blob.arrayBuffer()))); }
  }
  return out.sort();
}"""
CACHED = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    for (const r of await (await caches.open(name)).keys()) {
      const u = new URL(r.url);
      out.push(u.pathname + u.search);
    }
  }
  return out.sort();
}"""
DEVICE_STATE = """async () => ({
  databases: (await indexedDB.databases()).map(d => d.name),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
})"""


def _file(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def _open_with_worker(browse: Any) -> Any:
    page = browse.new_page()
    page.goto(browse.url("/file/"))
    assert page.evaluate(WORKER_READY), "the service worker did not keep the filing page"
    return page


def _fill(page: Any, *, description: str) -> None:
    page.select_option("#id_category", label="Давление работодателя")
    page.fill("#id_place_text", "Школа №7, спортзал")  # the station search needs the network
    page.fill("#id_description", description)


def test_a_complaint_filed_offline_with_two_photos_is_sent_once_when_the_connection_returns(
    browse, people, election, territory, jpeg_bytes
):
    page = _open_with_worker(browse)
    page.context.set_offline(True)
    page.reload()  # the device's copy of the page: without it, the browser's error page
    expect(page.locator("h1")).to_have_text("Подать жалобу")

    photos = [_file("урна.png", "image/png", png_bytes()), _file("зал.jpg", "image/jpeg", jpeg_bytes)]
    _fill(page, description=DESCRIPTION)
    page.set_input_files("#id_files", photos)
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    page.click("[data-submit]")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    expect(page.locator("[data-outbox-status]")).to_contain_text("будет отправлена")
    expect(page.locator("#id_description")).to_have_value("")  # the form is free for the next one
    browse.shot(page, "offline-01-queued")

    page.reload()  # still offline: the complaint waits, with its photos
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    expect(page.locator("[data-outbox-entry=waiting]")).to_contain_text("Ожидает отправки")
    browser_hashes = page.evaluate(QUEUED_HASHES)
    assert browser_hashes == sorted(hashlib.sha256(p["buffer"]).hexdigest() for p in photos)
    assert not Complaint.objects.exists()

    page.context.set_offline(False)  # the "online" event sends it
    expect(page.locator("[data-outbox-entry=sent]")).to_be_visible(timeout=20_000)
    expect(page.locator("[data-outbox-count]")).to_have_text("0")
    browse.shot(page, "offline-02-sent")
    complaint = Complaint.objects.get()
    assert complaint.description == DESCRIPTION
    assert sorted(e.sha256 for e in complaint.evidence.all()) == browser_hashes
    assert page.locator("[data-outbox-code]").inner_text() == complaint.code
    assert page.locator("[data-outbox-secret]").inner_text()  # an anonymous filer's only way back

    # Once sent, only the receipt stays on the device, until the filer has noted it.
    (sent,) = page.evaluate(QUEUE)
    assert set(sent) == {"id", "status", "createdAt", "sentAt", "receipt"}
    page.get_by_role("button", name="Я записал(а)").click()
    expect(page.locator("[data-outbox]")).to_be_hidden()
    assert page.evaluate(QUEUE) == []

    page.reload()  # a later visit sends nothing again
    page.wait_for_timeout(500)
    assert Complaint.objects.count() == 1
    # The worker's cache holds the filing page and its files, nothing else (no answers, no receipt).
    assert page.evaluate(CACHED) == sorted(["/file/", *(f"/static/complaints/{n}" for n in OFFLINE_FILES)])

    # A second device state (a fresh browser profile) has nothing of it.
    other = browse.new_page()
    other.goto(browse.url("/file/"))
    assert other.evaluate(QUEUE) == []
    expect(other.locator("[data-outbox]")).to_be_hidden()


def test_a_refused_complaint_comes_back_to_correct_and_forget_this_device_clears_the_queue(
    browse, people, election, territory
):
    page = _open_with_worker(browse)
    browse.login(page, "observer")
    page.goto(browse.url("/file/"))
    assert page.evaluate(WORKER_READY)
    page.context.set_offline(True)
    page.reload()
    # The device's copy holds nothing of who is signed in.
    expect(page.locator("h1")).to_have_text("Подать жалобу")
    expect(page.locator("body")).not_to_contain_text("observer")

    _fill(page, description="")  # the server requires a description
    page.set_input_files("#id_files", [_file("урна.png", "image/png", png_bytes())])
    page.click("[data-submit]")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    page.context.set_offline(False)
    refused = page.locator("[data-outbox-entry=refused]")
    expect(refused).to_contain_text("Обязательное поле", timeout=20_000)  # the server's own message
    assert not Complaint.objects.exists()
    browse.shot(page, "offline-03-refused")
    # The refusal is this test's point: the page (or the worker) got the 400 it shows.
    browse.problems[:] = [p for p in browse.problems if not ("/file/" in p and "status of 400" in p)]

    # The data is kept: back into the form, photo included, with the server's message at its field.
    refused.get_by_role("button", name="Исправить").click()
    expect(page.locator("#id_place_text")).to_have_value("Школа №7, спортзал")
    expect(page.locator("[data-file-list] li")).to_have_count(1)
    expect(page.locator("[data-js-errors]")).to_contain_text("Обязательное поле")

    # "Forget this device" warns first, then clears the queue, the worker and its cache.
    forget = page.locator("[data-forget-device] button")
    forget.click()
    expect(page.locator("[data-forget-warning]")).to_contain_text("1")
    assert len(page.evaluate(QUEUE)) == 1
    forget.click()
    page.wait_for_url(browse.url("/device/forget/"))
    expect(page.locator("h1")).to_have_text("Устройство очищено")
    state = page.evaluate(DEVICE_STATE)
    assert "complaint-outbox" not in state["databases"]
    assert state["caches"] == []
    assert state["workers"] == 0


def test_the_service_worker_sends_the_queue_on_background_sync_with_no_filing_page_open(
    browse, people, election, territory
):
    page = _open_with_worker(browse)
    context = page.context
    context.set_offline(True)
    page.reload()
    _fill(page, description=DESCRIPTION)
    page.click("[data-submit]")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    page.close()  # no page left to send it on "online"

    context.set_offline(False)
    status = context.new_page()  # a page without the filing form: it does not send
    status.goto(browse.url("/status/"))
    cdp = context.new_cdp_session(status)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    status.wait_for_timeout(300)
    (registration,) = {r["registrationId"]: r for r in registrations if not r["isDeleted"]}.values()
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": browse.base_url,
            "registrationId": registration["registrationId"],
            "tag": "send-complaints",
            "lastChance": False,
        },
    )
    for _ in range(100):
        if Complaint.objects.exists():
            break
        status.wait_for_timeout(100)
    complaint = Complaint.objects.get()
    assert complaint.description == DESCRIPTION

    # The next visit of the filing page shows the receipt the worker received.
    page = context.new_page()
    page.goto(browse.url("/file/"))
    expect(page.locator("[data-outbox-code]")).to_have_text(complaint.code)
    expect(page.locator("[data-outbox-count]")).to_have_text("0")


def test_an_answer_lost_on_the_way_is_retried_under_the_same_key_and_files_once(browse, people, election, territory):
    page = _open_with_worker(browse)
    lost: list[str] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.request.headers.get("idempotency-key", ""))
            route.fetch()  # the server files it ...
            route.abort("connectionreset")  # ... and the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/file/", lose_first_answer)
    _fill(page, description=DESCRIPTION)
    page.set_input_files("#id_files", [_file("урна.png", "image/png", png_bytes())])
    page.click("[data-submit]")
    expect(page.locator("[data-outbox-entry]")).to_have_count(1)
    assert Complaint.objects.count() == 1
    (entry,) = page.evaluate(QUEUE)
    assert entry["id"] == lost[0]  # queued under the key of the lost request
    browse.problems[:] = [p for p in browse.problems if "ERR_" not in p]  # the lost answer

    page.unroute("**/file/")
    page.reload()  # the next visit sends it again (or the worker already did)
    expect(page.locator("[data-outbox-entry=sent]")).to_be_visible(timeout=20_000)
    complaint = Complaint.objects.get()
    assert complaint.evidence.count() == 1
    expect(page.locator("[data-outbox-code]")).to_have_text(complaint.code)
    expect(page.locator("[data-outbox-entry=sent]")).to_contain_text("не дошёл")  # no secret to show again
