"""What the app hands every feature, and what each feature hands the app.

``create_app`` is a loop over features: it collects their REST endpoints and routes, and in
its lifespan starts them in order and stops them in the reverse order. ``CoreServices`` is the
part of the running service that the core itself needs (the endpoint registry, the pages);
``callcenter.services.Services`` adds every feature's running parts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.routing import BaseRoute

from callcenter.core.api import ApiRouter
from callcenter.core.services import CoreServices

S = TypeVar("S", bound="CoreServices")


Hook = Callable[[S], Awaitable[None]]


@dataclass(frozen=True)
class Feature(Generic[S]):
    """One feature as the app sees it."""

    name: str
    api: Sequence[ApiRouter] = ()
    # Pages, the WebSocket, endpoints outside the registry (the audio stream).
    routes: Sequence[BaseRoute] = ()
    # OpenAPI paths of those routes (the registry documents its own endpoints).
    openapi_paths: Mapping[str, Any] = field(default_factory=dict)
    # Run in the lifespan: ``start`` in the app's feature order, ``stop`` in the reverse one.
    start: Hook[S] | None = None
    stop: Hook[S] | None = None
