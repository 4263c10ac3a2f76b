"""The benchmark's rounds and ratios (qemu/bench_stats.py): the order of boots alternates, a
failed boot keeps its round's place, and both ratios are printed."""
import unittest

import bench_stats


class BenchStatsTest(unittest.TestCase):
    def test_order_alternates(self):
        names = ["floor", "lifeboat", "cloud"]
        self.assertEqual(bench_stats.round_order(names, 0), names)
        self.assertEqual(bench_stats.round_order(names, 1), ["cloud", "lifeboat", "floor"])
        self.assertEqual(bench_stats.round_order(names, 2), names)
        self.assertEqual(names, ["floor", "lifeboat", "cloud"])  # the caller's list is left alone

    def test_paired_ratios_skip_rounds_without_a_login(self):
        lb = [2.2, None, 2.4, 2.0]
        fl = [2.0, 2.1, None, 2.5]
        self.assertEqual([round(r, 3) for r in bench_stats.paired_ratios(lb, fl)], [1.1, 0.8])

    def test_ratio_of_medians_ignores_failures(self):
        self.assertAlmostEqual(bench_stats.ratio_of_medians([2.2, None, 2.4], [2.0, 2.0, None]), 1.15)
        self.assertIsNone(bench_stats.ratio_of_medians([None], [2.0]))

    def test_report(self):
        lb = [2.2, 2.1, 2.4, 2.0, 2.3]
        fl = [2.0, 2.1, 2.2, 2.5, 2.3]
        line = bench_stats.ratio_report("lifeboat", lb, fl)
        self.assertTrue(line.startswith("lifeboat/floor ratio: 1.00 (medians); round by round: median 1.00"), line)
        self.assertIn("quartiles 1.00-1.09, 5 rounds", line)
        self.assertIn("none", bench_stats.ratio_report("cloud", [None, None], fl))
        # Both logged in some time, never in the same round: the medians' ratio, no pairs.
        self.assertEqual(bench_stats.ratio_report("cloud", [2.0, None], [None, 2.0]),
                         "cloud/floor ratio: 1.00 (medians); round by round: none (no round where both logged in)")

    def test_quartiles_of_one_value(self):
        self.assertEqual(bench_stats.quartiles([1.5]), (1.5, 1.5, 1.5))


if __name__ == "__main__":
    unittest.main()
