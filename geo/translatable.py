"""N_ marks words kept in tables (labels, meanings) for translation without translating them there.

geo/ knows nothing of requests or languages: its tables hold the English words, `pybabel extract -k N_` finds
them, and the app translates each where it is shown (`_()` in a template or a view), in the reader's language.
"""


def N_(text: str) -> str:
    return text
