"""The languages the catalogue's text is written in.

A module of its own so that the command line can check ``--lang`` (and pick the language from
``LANG``) without loading the catalogue: ``check --format jsonl`` never needs it otherwise.
A test holds this list equal to the languages the data files carry.
"""

LANGUAGES = ("en", "id", "vi", "zh", "tr")
