"""One module per gated action; each registers itself with ``@ACTIONS.register``. Adding an
action is adding a module here (and its words to the catalogs): :mod:`kooch.actions.registry`
imports every module of this package."""
