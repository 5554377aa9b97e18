"""The other side of the move: the destinations' links, checked from Kooch's side.

:mod:`~kooch.destinations.links` fetches the URLs the config names and gives each a verdict;
:mod:`~kooch.destinations.store` keeps the last verdict of each so that a change is told once,
even across a restart; :mod:`~kooch.destinations.service` ties them together for the periodic
check; :mod:`~kooch.destinations.wording` says it all to the operators.
"""
