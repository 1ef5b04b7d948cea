"""The offline inspector page (issue 20): an installable web app at /thuc-dia/ (manifest + service worker) that
downloads the inspector's area pack, works all day without signal and sends its inspections exactly once.

Routes (app/offline/views.py): the page and its files, the area pack (GET /thuc-dia/api/pack) and the sync
(POST /thuc-dia/api/sync). The browser side is plain JavaScript in app/offline/static/.
"""

from app.offline.views import install

__all__ = ["install"]
