"""Japanese text and value parsers for hwdesk, one module per kind of value.

- :mod:`~hwdesk.jtext.base`: :class:`~hwdesk.jtext.base.ParseError` and what every parser shares;
- :mod:`~hwdesk.jtext.safety`: control and invisible characters, display/JSON/CSV safety;
- :mod:`~hwdesk.jtext.text`: free text and names;
- :mod:`~hwdesk.jtext.kana`: kana readings and the search key;
- :mod:`~hwdesk.jtext.numbers`: 求職番号 and phone numbers;
- :mod:`~hwdesk.jtext.addresses`: email addresses and meeting join URLs;
- :mod:`~hwdesk.jtext.dates`: dates and 和暦;
- :mod:`~hwdesk.jtext.times`: times, datetimes, the database's UTC and a session's span;
- :mod:`~hwdesk.jtext.cells`: terminal cell widths.

Everything is a pure function. A parser takes what a clerk typed and either returns one
canonical value or raises ``ParseError`` (Japanese and English message); no other exception
type escapes a parser for ``str`` input (the property tests in ``tests/test_jtext.py``).
Import each name from its module: the package itself exports nothing.
"""
