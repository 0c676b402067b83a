"""Screen-pop: who is calling, pushed to the browsers of the managers whose phones ring.

``hub`` holds the pure fan-out state, ``notifier`` turns the bridge's call changes into hub
operations (with one database lookup per call), ``ws`` serves ``GET /ws``.
"""
