"""Many named User-Agent patterns checked at the cost of a few.

``Matcher`` takes ``(name, regular expression)`` entries and answers as
``re.search`` on each would (with ``re.IGNORECASE`` unless told
otherwise), only faster: the patterns that are plain strings
(``botsyntax.literals``: most crawler patterns) are looked up together in
one regular expression that shares their common beginnings, and with
``str.startswith``/``endswith`` for the anchored ones; the others run as
regular expressions, behind a string they need (``botsyntax.gate``) or all
in one alternation. The name is looked up only once the answer is yes.

The strings are compared with the User-Agent folded as ``re.IGNORECASE``
compares with ASCII letters (``_folded``), and ``$`` also matches before a
final newline, as in ``re``: the answers are the regular expressions' for
any User-Agent.
"""

from slc.clicktracker.botsyntax import gate
from slc.clicktracker.botsyntax import literals
from slc.clicktracker.botsyntax import trie_source
import logging
import re
import string


logger = logging.getLogger(__name__)

# Backreferences break when patterns are joined into one alternation.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
# Besides A-Z, re.IGNORECASE takes these four for ASCII letters; no other
# character equals one.
_FOLD = {ord(char): char.lower() for char in string.ascii_uppercase} | {
    0x130: "i",
    0x131: "i",
    0x17F: "s",
    0x212A: "k",
}


def _folded(user_agent):
    # lower() is exact for ASCII, and much faster than translate().
    return user_agent.lower() if user_agent.isascii() else user_agent.translate(_FOLD)


def _endings(key):
    return (key, key[:-1]) if key.endswith("\n") else (key,)


def _literal_hit(key, text, start, end):
    if start and end:
        return any(ending == text for ending in _endings(key))
    if start:
        return key.startswith(text)
    if end:
        return any(ending.endswith(text) for ending in _endings(key))
    return text in key


def _joined(patterns, flags):
    """One alternation of ``patterns``, or None when they cannot share one
    (global flags, repeated group names)."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), flags)
    except re.error:
        return None


class Matcher:
    """``(name, regular expression)`` entries, checked together.

    ``search`` tells whether any entry matches; ``name`` names the first
    that does. Case is ignored unless ``ignore_case`` is False. A pattern
    that does not compile is logged and left out.
    """

    def __init__(self, entries, ignore_case=True):
        self.ignore_case = ignore_case
        flags = re.IGNORECASE if ignore_case else 0
        fold = str.lower if ignore_case else str
        # (name, literals, None, None) or (name, None, gate, compiled)
        self.entries = []
        kinds = {anchors: set() for anchors in ((0, 0), (1, 0), (0, 1), (1, 1))}
        ungated, gated = [], []
        for name, pattern in entries:
            found = literals(pattern)
            if found is not None:
                found = tuple({(fold(text), *anchors) for text, *anchors in found})
                self.entries.append((name, found, None, None))
                for text, start, end in found:
                    kinds[start, end].add(text)
                continue
            try:
                compiled = re.compile(pattern, flags)
            except re.error as error:
                logger.warning("Bot pattern %s (%r) left out: %s", name, pattern, error)
                continue
            needle = fold(gate(pattern))
            self.entries.append((name, None, needle, compiled))
            # "^..." runs only at the start, but anywhere in an alternation.
            if needle or pattern.startswith("^") or _BACKREFERENCE.search(pattern):
                gated.append((needle, compiled))
            else:
                ungated.append((pattern, compiled))
        contains = kinds[0, 0]
        self.contains = re.compile(trie_source(contains)) if contains else None
        self.prefixes = tuple(sorted(kinds[1, 0]))
        self.suffixes = tuple(sorted(kinds[0, 1]))
        self.whole = frozenset(kinds[1, 1])
        self.joined = _joined([pattern for pattern, _compiled in ungated], flags)
        if self.joined is None:
            gated.extend(("", compiled) for _pattern, compiled in ungated)
        self.gated = tuple(gated)

    def _key(self, user_agent):
        return _folded(user_agent) if self.ignore_case else user_agent

    def search(self, user_agent):
        """True when any entry matches ``user_agent``."""
        key = self._key(user_agent)
        if self.contains is not None and self.contains.search(key) is not None:
            return True
        if key.startswith(self.prefixes):
            return True
        for ending in _endings(key):
            if ending.endswith(self.suffixes) or ending in self.whole:
                return True
        if self.joined is not None and self.joined.search(user_agent) is not None:
            return True
        return any(
            needle in key and regex.search(user_agent) for needle, regex in self.gated
        )

    def name(self, user_agent):
        """The name of the first entry matching ``user_agent``, or None."""
        if not self.search(user_agent):
            return None  # without trying every entry one by one
        key = self._key(user_agent)
        for name, found, needle, compiled in self.entries:
            if found is None:
                if needle in key and compiled.search(user_agent) is not None:
                    return name
            elif any(_literal_hit(key, *literal) for literal in found):
                return name
        return None
