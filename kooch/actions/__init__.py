"""The operators' gated actions: what an operator asks Kooch to *do* to the channels or to the
subscribers (post, schedule, put into the moved state, send a reminder), as opposed to what they
read (/stats, /status). Each one is confirmed, may need a second operator (``approval: 2``), and
is audited.

Called *actions* (not commands: one command, /announce, opens two of them; not tasks: they run
once, at once) after the ``action`` column of the audit, which has always named them so.

- :mod:`kooch.actions.model`: the :class:`~kooch.actions.model.Action` shape, its typed payload
  and its :class:`~kooch.actions.model.Record` (the outcome as data), and the registry.
- :mod:`kooch.actions.gated`: one module per action, each registering itself; nothing else lists
  them (:func:`kooch.actions.registry.actions` finds them).
- :mod:`kooch.actions.wording`: the words every action shares (the approval's), per reader.
"""
