"""The project's vocabulary, at the bottom of every layer.

- `terms`: the domain's codes (incident kinds, causes, ownerships, zone types, bands) and
  the analysts' capacity;
- `months`: month arithmetic (every month counted from 1970-01);
- `i18n`: the one translation catalogue (Vietnamese first, then English);
- `formats`: numbers, money, percentages and dates as a Vietnamese or English reader
  writes them (Babel).

Nothing here imports another room of the project; every room may import it.
"""
