"""Small statistics helpers for the shop's daily reports."""


def mean(values):
    """The arithmetic mean of a non-empty sequence of numbers."""
    if not values:
        raise ValueError("mean() of an empty sequence")
    return sum(values) / len(values)


def median(values):
    """The middle value of a non-empty sequence; for an even count, the mean of the two middle values."""
    if not values:
        raise ValueError("median() of an empty sequence")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]


def spread(values):
    """The difference between the largest and the smallest value."""
    return max(values) - min(values)
