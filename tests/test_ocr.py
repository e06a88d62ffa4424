"""lib.ocr: the edit distance against hand-worked cases and an independent recursive definition,
CER's whitespace handling, and the reading order of OCR boxes. (The OCR engine itself is
exercised by notebook 04.)"""

import functools
import random

import pytest

from lib.ocr import cer, in_reference_order, levenshtein, reading_order, strip_whitespace


@pytest.mark.parametrize(
    "a, b, distance",
    [
        ("kitten", "sitting", 3),  # k->s, e->i, +g
        ("flaw", "lawn", 2),  # -f, +n
        ("", "abc", 3),
        ("abc", "", 3),
        ("same", "same", 0),
        ("文档模糊", "文挡模糊", 1),  # one substituted character
        ("合同总价", "合同价", 1),  # one deleted character
        ("ab", "ba", 2),  # no transpositions in Levenshtein
    ],
)
def test_levenshtein_hand_cases(a, b, distance):
    assert levenshtein(a, b) == distance
    assert levenshtein(b, a) == distance


def recursive_distance(a: str, b: str) -> int:
    """The textbook recursive definition (memoised), an independent reference."""

    @functools.lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def test_levenshtein_matches_the_recursive_definition_on_random_strings():
    rng = random.Random(0)
    for _ in range(200):
        a = "".join(rng.choice("ab文字c") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("ab文字c") for _ in range(rng.randint(0, 12)))
        assert levenshtein(a, b) == recursive_distance(a, b), (a, b)


def test_cer_ignores_whitespace_and_divides_by_the_reference_length():
    assert strip_whitespace(" a\tb\n c\u3000d ") == "abcd"  # \u3000: full-width space
    assert cer("合同 总价\n为人民币", "合同总价为人民币") == 0.0
    assert cer("合同总价", "合同总价为人民币") == pytest.approx(4 / 8)
    assert cer("合同总价为人民币元元元元元元元元", "合同总价为人民币") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="empty"):
        cer("abc", " \n ")


def test_reading_order_is_lines_top_to_bottom_then_left_to_right():
    def box(x0, y0, x1, y1):
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]

    results = [
        (box(200, 52, 300, 70), "line2-right", 0.9),
        (box(10, 10, 100, 30), "line1-left", 0.9),
        (box(10, 50, 150, 72), "line2-left", 0.9),
        (box(150, 12, 260, 31), "line1-right", 0.9),
        (box(10, 100, 90, 118), "line3", 0.9),
    ]
    assert [text for text, _ in reading_order(results)] == [
        "line1-left",
        "line1-right",
        "line2-left",
        "line2-right",
        "line3",
    ]


def test_order_free_cer_counts_misread_characters_not_the_column_order():
    left = ["Between the parties", "in accordance with", "the minutes of 2024"]
    right = ["合同总价为人民币", "付款方式如下所述", "双方签字后生效"]
    reference = "\n".join(left + right)  # the rendered text: column by column
    interleaved = "\n".join(x for pair in zip(left, right) for x in pair)  # the OCR: line by line across both
    assert cer(interleaved, reference) > 0.4
    assert in_reference_order(interleaved, reference) == reference
    assert cer(interleaved, reference, order_free=True) == 0
    misread = interleaved.replace("合同", "合间").replace("minutes", "rninutes")  # 1 + 2 edits
    assert cer(misread, reference, order_free=True) == pytest.approx(3 / len(strip_whitespace(reference)))
    one_column = "line one\nline two\nline three"
    assert cer("line one\nline tvvo\nline three", one_column, order_free=True) == cer(
        "line one\nline tvvo\nline three", one_column
    )
    assert in_reference_order("line two\n\nline one", "line one\nline two") == "line one\nline two"


def test_order_free_cer_is_never_above_the_cer_as_read():
    reference = "2016 2017 2018 2019\n2016 2017 2018 2020\ntotal"  # near-identical rows: line matching may misplace one
    read = "2016 2017 2018 2019\n2016 2017 2018 2020\ntotal"
    assert cer(read, reference, order_free=True) == cer(read, reference) == 0
    swapped = "2016 2017 2O18 2020\n2016 2017 2018 2019\ntotal"
    assert cer(swapped, reference, order_free=True) <= cer(swapped, reference)
