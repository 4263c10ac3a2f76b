"""The benchmark's order of boots and its lifeboat/floor ratio (tools/bench-boot).

Under TCG on a shared host the time to SSH wanders by 0.3 s and more between minutes, and
a boot can pay for the one before it. So the variants run in rounds, every variant once a
round, the order reversed every other round (A B, B A, A B, ...): no variant always follows
the same one. Boots of one round are seconds apart, so the ratio of each round's pair
shares the host's mood of that moment; its median, with the quartiles, is printed beside
the ratio of the medians (the issue's figure).
"""
import statistics


def round_order(names: list, i: int) -> list:
    """The variants of round i (from 0): forward in even rounds, reversed in odd ones."""
    return list(names) if i % 2 == 0 else list(reversed(names))


def ratio_of_medians(num: list, den: list) -> float | None:
    """median(num) / median(den), both lists of the boots that succeeded."""
    num, den = [x for x in num if x is not None], [x for x in den if x is not None]
    if not num or not den:
        return None
    return statistics.median(num) / statistics.median(den)


def paired_ratios(num: list, den: list) -> list:
    """Round by round num[i] / den[i], for the rounds where both booted (None: no login)."""
    return [a / b for a, b in zip(num, den) if a is not None and b is not None and b > 0]


def quartiles(values: list) -> tuple:
    """(first quartile, median, third quartile) of at least one value; one value: it, thrice."""
    if len(values) == 1:
        return (values[0],) * 3
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def ratio_report(name: str, num: list, den: list) -> str:
    """One line: both ratios of `name` against the floor, or why there is none."""
    rm = ratio_of_medians(num, den)
    if rm is None:
        return f"{name}/floor ratio: none (no login in one of them)"
    pairs = paired_ratios(num, den)
    head = f"{name}/floor ratio: {rm:.2f} (medians); round by round: "
    if not pairs:
        return head + "none (no round where both logged in)"
    q1, q2, q3 = quartiles(pairs)
    return head + f"median {q2:.2f}, quartiles {q1:.2f}-{q3:.2f}, {len(pairs)} rounds"
