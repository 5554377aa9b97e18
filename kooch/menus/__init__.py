"""The bot's commands as people meet them: the "/" menu per audience and language, the bot's
descriptions (what the empty chat shows before START), and the answer to a command it does not know.

``model`` holds the one table of commands and Telegram's limits, ``wording`` the words per
language (and the whole profile a config asks for), ``service`` keeps Telegram's copy in step.
"""
