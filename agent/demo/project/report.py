"""The daily sales report."""

from stats import mean, median, spread


def summarize(sales):
    """A one-line summary of a day's sales amounts."""
    return (
        f"{len(sales)} sales, mean {mean(sales):.2f}, "
        f"median {median(sales):.2f}, spread {spread(sales):.2f}"
    )
