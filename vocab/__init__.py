"""The project's vocabulary, at the bottom of every layer: terms, month arithmetic, languages.

Nothing here imports another room of the project; every room may import it.
"""
