"""The tasks feature: the API and the task pages. Callbacks come from the call log
(``callbacks.CallbackTasks``, wired in ``Services.build``)."""

from __future__ import annotations

from callcenter.core.feature import Feature
from callcenter.services import Services
from callcenter.tasks import api, pages

feature = Feature[Services]("tasks", api=[api.router], routes=pages.routes)
