"""The worker processes of `ombuds seed-synthetic`.

They are started fresh (spawned, never forked from a process holding database
connections), so Django is set up before the generator and its models are imported:
this module imports neither at its top, and the world arrives pickled.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ombuds.core.synthetic import Chunk, World

_world: World | None = None


def start(world: bytes) -> None:
    """Set up Django in this process and keep the world every chunk is made from."""
    global _world
    import django

    django.setup()
    _world = pickle.loads(world)  # noqa: S301 - pickled by the parent process a moment ago


def build(index: int) -> Chunk:
    from ombuds.core import synthetic

    assert _world is not None, "the worker was not started"
    return synthetic.build_chunk(_world, index)
