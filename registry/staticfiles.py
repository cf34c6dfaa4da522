"""The static files storage: hashed and compressed names once `collectstatic` ran, plain names before.

WhiteNoise's ``CompressedManifestStaticFilesStorage`` answers every ``{% static %}`` with a
ValueError, so every page with a 500, while its manifest is missing (``manage.py runserver``
right after ``migrate``) or does not know a file (one added since the last collectstatic).
This one links such files by their plain names instead (saying once that there is no
manifest); WhiteNoise
serves those names from the apps' static folders (WHITENOISE_USE_FINDERS) or STATIC_ROOT.
Once collectstatic has written the manifest, names are hashed exactly as before.
"""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

log = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    _unhashed_reported: set[str]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._unhashed_reported = set()

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            self._report_unhashed(name)
            return name

    def _report_unhashed(self, name: str) -> None:
        if not self.hashed_files:  # no manifest at all: say it once, not for every file
            if not self._unhashed_reported:
                log.info(
                    "no collectstatic manifest in %s: static files are linked by their plain names "
                    "(`manage.py collectstatic` gives hashed, compressed ones)",
                    self.location,
                )
            self._unhashed_reported.add("")
        elif name not in self._unhashed_reported:
            # Debug only: WhiteNoise asks for names no file has (source maps a bundle mentions).
            self._unhashed_reported.add(name)
            log.debug("static file %s is not in the collectstatic manifest: linking its plain name", name)
