from report import summarize


def test_summary_of_one_sale():
    assert summarize([5.0]) == "1 sales, mean 5.00, median 5.00, spread 0.00"
