"""Who sent it and which row is which: unit names and indicator rows matched to the registry.

Matching ignores case, diacritics, punctuation and spacing. A unit is recognised by a whole alias
(``Phòng Tư pháp``) or, where the context allows it (file names, labelled titles), by an
abbreviation (``TCKH``, ``KT-HT``); a name that is only *similar* to a unit is not a match. An
indicator row is recognised by its printed code and its name together (see
:meth:`IndicatorMatcher.match`).
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache

from .catalogue import as_records
from .text import contains_compact, contains_phrase, fold, nfc

_CODE = re.compile(r"^(\d{1,2}(?:[.,]\d{1,2})*)[.,]?$")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7"}
_LEADING_CODE = re.compile(r"^\s*((?:\d{1,2}\.)+\d{0,2}|\d{1,2}(?:\.\d{1,2})+)\.?\s+(\S.*)$")
_DIGITS = re.compile(r"\d+")


def normalise_code(value: object) -> str:
    """The printed STT of a row as an id-like code: ``1.1.1.`` -> ``1.1.1``, ``II`` -> ``2``,
    the number 2.1 -> ``2.1``; '' for no code (empty, ``Trong đó``, ``-``, ``a``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        text = f"{value:g}" if value == value else ""
    elif type(value) is str:
        return _normalise_text_code(value)
    else:
        text = nfc(value)
    return _code_of(text)


#: words that lead into a sub-row's name without being part of it ("Trong đó: ...", "a) ...")
_LEAD_IN = re.compile(r"^(?:(?:trong do|trong so do|bao gom|gom co|gom|[a-e]) )+")


@lru_cache(maxsize=16384)
def _normalise_text_code(value: str) -> str:
    return _code_of(nfc(value))


def _code_of(text: str) -> str:
    text = text.replace(" ", "").strip()
    if not text:
        return ""
    roman = _ROMAN.get(text.rstrip(".").lower())
    if roman:
        return roman
    match = _CODE.match(text)
    if not match:
        return ""
    return match.group(1).replace(",", ".")


def split_leading_code(name: str) -> tuple[str, str]:
    """``"1.1.1. Số nhiệm vụ"`` -> (``"1.1.1"``, ``"Số nhiệm vụ"``); no code -> ("", name)."""
    match = _LEADING_CODE.match(name)
    if not match:
        return "", name
    return match.group(1).rstrip("."), match.group(2)


def similarity(a: str, b: str) -> float:
    """Similarity of two folded names in 0..1; a long prefix or substring counts as close, and
    names whose numbers differ ('mức độ 3' / 'mức độ 4') are kept apart."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    score = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return _adjust(score, a, b, set(_DIGITS.findall(a)) != set(_DIGITS.findall(b)))


class _Form:
    """One folded name form of an indicator, prepared for :func:`similarity` against many names:
    its character counts (an upper bound of the ratio), its digits, and a SequenceMatcher whose
    second sequence is the form (built once; difflib indexes the second sequence)."""

    __slots__ = ("text", "length", "counts", "digits", "_matcher")

    def __init__(self, text: str):
        self.text = text
        self.length = len(text)
        self.counts = Counter(text)
        self.digits = set(_DIGITS.findall(text))
        self._matcher: SequenceMatcher | None = None

    def bounds(self, name: str, counts: Counter, digits: set[str]) -> tuple[float, bool]:
        """(an upper bound of ``similarity(name, self.text)``, whether that bound is the value)."""
        form = self.text
        if name == form:
            return 1.0, True
        if not name or not form:
            return 0.0, True
        # the ratio is 2*M/(|a|+|b|) with M matched characters; M <= the shared character counts
        own = self.counts
        shared = 0
        for ch, n in counts.items():
            m = own.get(ch)
            if m:
                shared += n if n < m else m
        score = 2.0 * shared / (len(name) + self.length)
        return _adjust(score, name, form, digits != self.digits), False

    def similarity(self, name: str) -> float:
        """``similarity(name, self.text)``, exactly (same operations, same operand order)."""
        form = self.text
        if name == form:
            return 1.0
        if not name or not form:
            return 0.0
        if self._matcher is None:
            self._matcher = SequenceMatcher(None, "", form, autojunk=False)
        self._matcher.set_seq1(name)
        return _adjust(self._matcher.ratio(), name, form, set(_DIGITS.findall(name)) != self.digits)


def _adjust(score: float, a: str, b: str, digits_differ: bool) -> float:
    """The prefix / substring / differing-numbers adjustments of :func:`similarity`."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 15 and long_.startswith(short):
        score = max(score, 0.9)
    elif len(short) >= 20 and short in long_:
        score = max(score, 0.85)
    if digits_differ:
        score *= 0.85
    return score


class UnitMatcher:
    """Recognise the registry's units in titles and file names."""

    def __init__(self, units):
        """``units``: the registry (:func:`~cchc_analysis.catalogue.unit_records`, or its frame)."""
        rows = as_records(units)
        self.names = {row["code"]: row["name"] for row in rows}
        self.full: list[tuple[str, list[str], int]] = []
        self.abbreviations: list[tuple[str, str, int]] = []
        for code, aliases in ((row["code"], row["aliases"]) for row in rows):
            for alias in aliases:
                words = fold(alias).split()
                compact = "".join(words)
                if not compact:
                    continue
                is_abbreviation = not any(ch.islower() for ch in alias) and len(compact) <= 6
                if is_abbreviation:
                    self.abbreviations.append((code, compact, len(compact)))
                else:
                    self.full.append((code, words, len(compact)))
        self._candidates = lru_cache(maxsize=4096)(self._candidates_uncached)

    def candidates(self, text: str, abbreviations: bool) -> set[str]:
        """Units named in ``text``: those with the longest matching alias (several when tied)."""
        return set(self._candidates(text, abbreviations))

    def _candidates_uncached(self, text: str, abbreviations: bool) -> frozenset[str]:
        words = fold(text).split()
        if not words:
            return frozenset()
        best, found = 0, set()
        for code, alias_words, length in self.full:
            if contains_phrase(words, alias_words):
                if length > best:
                    best, found = length, {code}
                elif length == best:
                    found.add(code)
        if abbreviations:
            for code, compact, length in self.abbreviations:
                if contains_compact(words, compact):
                    if length > best:
                        best, found = length, {code}
                    elif length == best:
                        found.add(code)
        return frozenset(found)


class IndicatorMatcher:
    """Map a table row (printed code, name) to a catalogue id."""

    #: a name this close to an indicator's name is that indicator, whatever its code says
    NAME_ALONE = 0.84
    #: with the code agreeing, a name this close is enough
    NAME_WITH_CODE = 0.45

    def __init__(self, catalogue):
        """``catalogue``: the indicators (:func:`~cchc_analysis.catalogue.catalogue_records`, or
        its frame)."""
        rows = as_records(catalogue)
        self.catalogue = catalogue
        self.kind = {row["id"]: row["kind"] for row in rows}
        self.parent = {row["id"]: row["parent"] for row in rows}
        self.ids = [row["id"] for row in rows]
        self.id_set = set(self.ids)
        self.names: dict[str, list[str]] = {}
        self.by_printed: dict[str, list[str]] = {}
        self.exact: dict[str, list[str]] = {}
        for row in rows:
            forms = {fold(row["name"]), fold(f"{row['name']} {row['description']}")}
            forms |= {f.rstrip(" ") for f in forms}
            self.names[row["id"]] = sorted(forms, key=len)
            for form in forms:
                self.exact.setdefault(form, []).append(row["id"])
            printed = normalise_code(row["printed"])
            if printed:
                self.by_printed.setdefault(printed, []).append(row["id"])
        self._forms = {indicator: [_Form(f) for f in forms] for indicator, forms in self.names.items()}
        self._index = {indicator: i for i, indicator in enumerate(self.ids)}
        self._match = lru_cache(maxsize=16384)(self._match_uncached)

    def match(self, code: str, name: str, context: str = "", anchor: str = "") -> tuple[str, str] | None:
        """``(id, how)`` for a row, or None. ``code`` is normalised (see :func:`normalise_code`),
        ``name`` raw text, ``context`` the last group id seen above the row (breaks ties such as
        the 1.2 rows the letter prints as ``1.1.x``). ``how`` is ``name``, ``code`` or ``both``.

        An exact name decides; otherwise the best similar name, where a code that agrees with the
        indicator's id or printed code lowers the similarity needed. Lead-ins ('Trong đó:', '-',
        'a)') are not part of a name. A row without a code right under ``anchor`` (the last
        indicator matched above it) whose name is only a shortened form ('- Cấp tỉnh' under 3.1.3)
        is matched among ``anchor``'s uncoded sub-rows (3.1.3.a..c)."""
        folded = fold(name)
        stripped = _LEAD_IN.sub("", folded)
        return self._match(code, stripped or folded, context, anchor if not code else "")

    def _code_candidates(self, code: str) -> list[str]:
        found = []
        if code in self.id_set:
            found.append(code)
        for other in self.by_printed.get(code, []):
            if other not in found:
                found.append(other)
        return found

    def _prefer(self, ids: list[str], code: str, context: str) -> str:
        def rank(indicator: str) -> tuple:
            in_context = bool(context) and (self.parent.get(indicator) == context or indicator.startswith(context + "."))
            return (not in_context, indicator != code, self.ids.index(indicator))

        return sorted(ids, key=rank)[0]

    def _bonus(self, indicator: str, code: str, by_code: list[str], context: str) -> float:
        bonus = 0.0
        if indicator in by_code:
            bonus = 0.25 if indicator == code else 0.15
            if context and self.parent.get(indicator) == context:
                bonus += 0.05
        return bonus

    def _best_similar(self, name: str, code: str, by_code: list[str], context: str) -> tuple[str | None, float]:
        """The indicator maximising ``similarity + code bonus`` (the first in catalogue order on a
        tie) and its similarity, as a scan of every indicator would find it; indicators whose
        upper bound (shared characters) cannot reach the best score found are not compared.
        ``(None, 0.0)`` also when no indicator can reach the similarity :meth:`_accept` needs (so
        that the best one, whichever it is, would be refused)."""
        counts = Counter(name)
        digits = set(_DIGITS.findall(name))
        bounded = []
        reachable = False
        for indicator in self.ids:
            bonus = self._bonus(indicator, code, by_code, context)
            forms = [(*form.bounds(name, counts, digits), form) for form in self._forms[indicator]]
            bound = max(b for b, _, _ in forms)
            bounded.append((bound + bonus, self._index[indicator], indicator, bonus, forms))
            if bound >= (min(self.NAME_WITH_CODE, self.NAME_ALONE) if indicator in by_code else self.NAME_ALONE):
                reachable = True
        if not reachable:
            return None, 0.0
        bounded.sort(key=lambda item: (-item[0], item[1]))
        best: tuple[float, int, str, float] | None = None  # (score, index, id, similarity)
        for bound, index, indicator, bonus, forms in bounded:
            if best is not None and bound < best[0]:
                break  # this one and every one after it score below the best
            sim = None
            for form_bound, exact, form in sorted(forms, key=lambda f: -f[0]):
                if sim is not None and form_bound <= sim:
                    break
                value = form_bound if exact else form.similarity(name)
                sim = value if sim is None else max(sim, value)
            score = sim + bonus
            if best is None or score > best[0] or (score == best[0] and index < best[1]):
                best = (score, index, indicator, sim)
        if best is None:
            return None, 0.0
        return best[2], best[3]

    def _sub_rows(self, anchor: str) -> list[str]:
        """The uncoded (lettered) sub-rows under ``anchor``, or beside it when it is one."""
        if not anchor:
            return []
        if anchor.rsplit(".", 1)[-1].isalpha():
            anchor = self.parent.get(anchor, "")
        return [i for i in self.ids if self.parent.get(i) == anchor and i.rsplit(".", 1)[-1].isalpha()]

    def _match_sub_row(self, name: str, anchor: str) -> tuple[str, str] | None:
        candidates = self._sub_rows(anchor)
        if not name or not candidates:
            return None
        words = set(name.split())
        scored = []
        for indicator in candidates:
            best = 0.0
            for form in self.names[indicator]:
                score = similarity(name, form)
                form_words = set(form.split())
                if words and (words <= form_words or form_words <= words):
                    score = max(score, 0.9)
                if form.startswith(name + " "):
                    score = max(score, 0.95)
                best = max(best, score)
            scored.append((best, indicator))
        scored.sort(reverse=True)
        top, second = scored[0][0], (scored[1][0] if len(scored) > 1 else 0.0)
        if top >= 0.6 and top - second >= 0.03:
            return scored[0][1], "name"
        return None

    def _match_uncached(self, code: str, name: str, context: str, anchor: str = "") -> tuple[str, str] | None:
        found = self._match_direct(code, name, context)
        if found is None and not code and anchor:
            found = self._match_sub_row(name, anchor)
        return found

    def _match_direct(self, code: str, name: str, context: str) -> tuple[str, str] | None:
        by_code = self._code_candidates(code) if code else []
        if not name:
            if not by_code:
                return None
            return self._prefer(by_code, code, context), "code"
        exact = self.exact.get(name)
        if exact:
            return self._prefer(exact, code, context), "both" if set(exact) & set(by_code) else "name"
        best_id, best_sim = self._best_similar(name, code, by_code, context)
        if best_id is None:
            return None
        return self._accept(best_id, best_sim, by_code)

    def _accept(self, best_id: str, best_sim: float, by_code: list[str]) -> tuple[str, str] | None:
        if best_sim >= self.NAME_ALONE:
            return best_id, "both" if best_id in by_code else "name"
        if best_id in by_code and best_sim >= self.NAME_WITH_CODE:
            return best_id, "both"
        return None
