"""The benchmark's boot timeline (qemu/timeline.py): rendered from a status.json recorded from
a real boot (tests/fixtures/data/status-boot.json), it is well-formed SVG with one bar per
step in the right row and order, the kernel's part, and the ready and SSH login marks."""
import json
import os
import unittest
import xml.etree.ElementTree as ET

import timeline

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(HERE, "..", "fixtures", "data", "status-boot.json")
NS = {"svg": "http://www.w3.org/2000/svg"}


class TimelineTest(unittest.TestCase):
    def setUp(self):
        with open(RECORDED) as fh:
            self.status = json.load(fh)

    def test_structure(self):
        svg = timeline.render(self.status, ssh_login_ms=self.status["boot_ms"] + 900, title="recorded boot")
        root = ET.fromstring(svg)
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        self.assertTrue(root.get("viewBox"))
        groups = root.findall("svg:g[@class='step']", NS)
        names = [g.get("data-name") for g in groups]
        steps = [s["name"] for s in self.status["steps"]]
        self.assertEqual(names, ["kernel"] + steps)
        width = float(root.get("width"))
        xs = {}
        for g in groups:
            rect = g.find("svg:rect", NS)
            x, w = float(rect.get("x")), float(rect.get("width"))
            self.assertGreaterEqual(x, 0)
            self.assertLessEqual(x + w, width + 0.5)
            self.assertIsNotNone(rect.find("svg:title", NS))  # the tooltip with the duration
            xs[g.get("data-name")] = (x, float(rect.get("y")))
        # PID 1's steps in one row, left to right; the disk worker's below, after `ready`.
        pid1 = [n for n in steps if n not in timeline.WORKER_STEPS]
        self.assertEqual(len({xs[n][1] for n in ["kernel"] + pid1}), 1)
        self.assertEqual([n for n in sorted(pid1, key=lambda n: xs[n][0])], pid1)
        for n in timeline.WORKER_STEPS:
            if n in xs:
                self.assertGreater(xs[n][1], xs["kernel"][1])
        marks = [g.get("data-name") for g in root.findall("svg:g[@class='mark']", NS)]
        self.assertEqual(marks, ["ready", "SSH login"])

    def test_cpu_time_in_the_tooltip(self):
        st = {"boot_ms": 300, "steps": [{"name": "network", "result": "ok", "start_ms": 100, "duration_ms": 180,
                                         "cpu_us": 41500},
                                        {"name": "old", "result": "ok", "start_ms": 280, "duration_ms": 5}]}
        root = ET.fromstring(timeline.render(st))
        tips = {g.get("data-name"): g.find("svg:rect/svg:title", NS).text
                for g in root.findall("svg:g[@class='step']", NS)}
        self.assertEqual(tips["network"], "network: 180 ms (ok), PID 1 cpu 41.5 ms")
        self.assertEqual(tips["old"], "old: 5 ms (ok)")  # status files from before cpu_us

    def test_hostile_names_are_escaped(self):
        st = {"boot_ms": 10, "steps": [{"name": "<script>&", "result": "ok", "start_ms": 1, "duration_ms": 2}]}
        root = ET.fromstring(timeline.render(st))
        self.assertEqual([g.get("data-name") for g in root.findall("svg:g[@class='step']", NS)], ["kernel", "<script>&"])


if __name__ == "__main__":
    unittest.main()
