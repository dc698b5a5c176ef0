"""What a User-Agent pattern (a regular expression) says in plain strings.

Most crawler patterns are words: "Googlebot\\/", "^Wget",
"Ahrefs(Bot|SiteAudit)". ``literals`` turns those into the strings they
stand for, so that many can be looked up at once (``trie_source``);
``gate`` finds a string that every match of a real regular expression
contains, so that it need not run where the string is missing. Both
understand only a little of the syntax and say "nothing" for the rest:
their answers are never wrong, only sometimes empty.
"""

import re


_SPECIAL = frozenset("\\.^$*+?()[]{}|")
# A pattern that expands to more strings than this stays a regex.
MAX_ALTERNATIVES = 64


class _NotLiteral(Exception):
    """The pattern needs the regular expression engine."""


def literals(pattern):
    """The strings ``pattern`` stands for, or None when it is more than that.

    :returns: a tuple of ``(text, at_start, at_end)``, ``text`` ASCII, as
        written; the pattern matches a User-Agent exactly when one of them
        does (``at_start``: the User-Agent starts with it, ``at_end``: ends
        with it, neither: contains it); without regard to case when the
        pattern is meant so and both are folded. Understood: characters, escaped
        punctuation, ``^`` and ``$``, ``[..]`` sets of plain characters,
        groups and ``|``; no repetition.
    """
    try:
        alternatives, end = _alternation(pattern, 0)
    except _NotLiteral:
        return None
    if end != len(pattern):
        return None
    return tuple(sorted(set(alternatives)))


def _alternation(pattern, i):
    found = []
    while True:
        sequence, i = _sequence(pattern, i)
        found.extend(sequence)
        if i < len(pattern) and pattern[i] == "|":
            i += 1
            continue
        return found, i


def _sequence(pattern, i):
    current = [("", False, False)]
    while i < len(pattern) and pattern[i] not in "|)":
        options, i = _item(pattern, i)
        if i < len(pattern) and pattern[i] in "*+?{":
            raise _NotLiteral
        current = [joined for a in current for b in options if (joined := _join(a, b))]
        if len(current) > MAX_ALTERNATIVES:
            raise _NotLiteral
    return current, i


def _join(first, second):
    """``first`` followed by ``second``; None where that can never match
    (text before ``^``, or after ``$``)."""
    text, start, end = first
    more, more_start, more_end = second
    if (more_start and text) or (end and more):
        return None
    return (text + more, start or more_start, end or more_end)


def _item(pattern, i):
    char = pattern[i]
    if char == "^":
        return [("", True, False)], i + 1
    if char == "$":
        return [("", False, True)], i + 1
    if char == "(":
        start = i + 1
        if pattern.startswith("(?", i):
            # (?:...) only: flags, lookarounds and names are left to re.
            if not pattern.startswith("(?:", i):
                raise _NotLiteral
            start = i + 3
        found, i = _alternation(pattern, start)
        if i >= len(pattern) or pattern[i] != ")":
            raise _NotLiteral
        return found, i + 1
    if char == "[":
        return _set(pattern, i + 1)
    if char == "\\":
        return [(_escaped(pattern, i), False, False)], i + 2
    if char in _SPECIAL:
        raise _NotLiteral
    return [(_plain(char), False, False)], i + 1


def _set(pattern, i):
    """The characters of a ``[...]`` that starts before ``i``."""
    chars = set()
    while i < len(pattern) and pattern[i] != "]":
        char = pattern[i]
        if char == "\\":
            chars.add(_escaped(pattern, i))
            i += 2
            continue
        # Negation, ranges and nested sets are left to the regex engine.
        if char in "^-[":
            raise _NotLiteral
        chars.add(_plain(char))
        i += 1
    if i >= len(pattern) or not chars:
        raise _NotLiteral
    return [(char, False, False) for char in sorted(chars)], i + 1


def _escaped(pattern, i):
    # \d, \b, \1 ... mean more than a character.
    if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
        raise _NotLiteral
    return _plain(pattern[i + 1])


def _plain(char):
    # Not a newline: "$" also matches before a final one.
    if not char.isascii() or char == "\n":
        raise _NotLiteral
    return char


def trie_source(words):
    """A regular expression matching any of ``words`` (plain strings), their
    common beginnings shared: the engine then tries a few branches at each
    position instead of every word."""
    trie = {}
    for word in sorted(words):  # a word's beginnings sort before it
        node = trie
        for char in word:
            if "" in node:
                break  # a shorter word already matches here
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[""] = True
    return _node_source(trie)


def _node_source(node):
    if "" in node:
        return ""
    branches = [re.escape(char) + _node_source(node[char]) for char in sorted(node)]
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def gate(pattern):
    """A string that every match of ``pattern`` contains (as written), so
    that the regex need not run on User-Agents without it; "" when none is
    found. Only a leading run of plain characters is taken (after anchors
    and lookarounds, which match no characters), and only without a ``|``
    outside groups, which could skip it."""
    if any(char == "|" and depth == 0 for _i, char, depth in _syntax(pattern)):
        return ""
    i = 0
    while True:
        if pattern.startswith(("\\b", "\\B", "\\A"), i):
            i += 2
        elif pattern.startswith("^", i):
            i += 1
        elif pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(pattern, i)
        else:
            break
    run = []
    while i < len(pattern):
        try:
            options, after = _item(pattern, i)
        except _NotLiteral:
            break
        if len(options) != 1 or options[0][1:] != (False, False):
            break  # a choice, or an anchor
        if pattern[after : after + 1] in ("*", "+", "?", "{"):
            break
        run.append(options[0][0])
        i = after
    return "".join(run)


def _syntax(pattern):
    """``(position, character, depth)`` of each ``(``, ``)`` and ``|`` of
    ``pattern`` outside escapes and ``[...]`` sets; ``depth`` counts the
    groups around it."""
    depth, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif char == "[":
            i += 2 if pattern.startswith("[^", i) else 1
            i += pattern.startswith("]", i)  # a leading "]" is a member
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif char == "(":
            yield i, char, depth
            depth += 1
        elif char == ")":
            depth -= 1
            yield i, char, depth
        elif char == "|":
            yield i, char, depth
        i += 1


def _group_end(pattern, start):
    """The position after the group that opens at ``start``."""
    level = None
    for i, char, depth in _syntax(pattern):
        if i == start:
            level = depth
        elif i > start and char == ")" and depth == level:
            return i + 1
    return len(pattern)
