"""The feature builders: one ``open_<feature>(stack, core, ...)`` per feature, each returning a
small frozen dataclass of that feature's services and declaring its background work.

They live here, in the composition root's package, rather than in each feature package: a
builder puts a feature together with the python-telegram-bot Application, the leadership and the
other features it talks to (the campaign sender tells the operators; the config reloader pokes
the post sync, the menus and the campaigns), and only ``kooch.app`` may see all of those (the
feature packages sit below it and may not import python-telegram-bot: import-linter's layers).

Each builder pushes what it opens on ``stack`` the moment it is open, so one
:class:`~contextlib.AsyncExitStack` closes everything in the reverse order; :func:`open_core`
opens what every feature needs (the store, the leader, the Bots, the clock).
"""
