"""Across (issue 27): Kooch on the other side of the move.

Move codes confirm arrivals person by person: a subscriber gets a personal link per verified
destination (``model``: the link forms per platform, the codes), the operator's bot there is polled
(``service``: the personal links and the destination bots' intake) and a ``/start <code>`` marks the
Telegram user as arrived on that service (``store``: only "arrived on Bale at T"). The mirror
(``mirror``) copies the channel's new posts to the destination channels while the audience
crosses. ``wording`` is what people read. Every call to a destination goes through
:class:`kooch.arrivals.client.DestinationClient`.
"""
