"""The one headline statistic in words: the median with the interval of 90% of the runs,
shares as percentages and differences of shares in points; a single run is said to be one."""

import math

from sim.headline import difference_text, final_year_sentence, range_text, spread


def test_runs_are_said_as_their_median_and_the_interval_of_90_percent_of_them():
    values = [0.2 + 0.6 * i / 99 for i in range(100)]
    share = spread(values)
    assert (share.runs, round(share.median, 3)) == (100, 0.5)
    assert share.text("share_final_year") == "50% (90% of runs: 23% to 77%)"
    assert share.cell("share_final_year") == "50% [23% to 77%]"
    assert (
        spread([0.1, -0.2, 0.3]).text("share_final_year", difference=True).startswith("+10 points")
    )
    assert final_year_sentence(values).endswith("(median of 100 runs; 90% of runs: 23% to 77%).")
    assert difference_text(-0.3, "share_final_year") == "-30 points"
    assert difference_text(26.84, "latency_final_year") == "+26.8 days"
    assert difference_text(155.2, "saved_hours_final_year") == "+155 hours a week"
    assert difference_text(0.123, "buy_in_final") == "+0.123"
    assert range_text(2.0, 3.5, "latency_final_year", difference=True) == "+2 to +3.5 days"


def test_one_run_is_said_to_be_one_with_no_interval():
    one = spread([0.6])
    assert one.text("share_final_year") == "60% (one run)"
    assert final_year_sentence([0.6]).endswith("in the final year (one run).")


def test_no_runs_give_no_number():
    empty = spread([math.nan])
    assert empty.runs == 0 and empty.text("share_final_year") == "n/a (no runs)"
