"""A boot timeline as SVG, from one status.json (schema 1, steps with start_ms) and the
host-side marks of the same boot: one bar per step (PID 1's in one row, the disk worker's
in another), the kernel's part before PID 1's first step, and the SSH login mark.

    svg = render(status, ssh_login_ms=3712, title="lifeboat, median boot")

Times are ms since the kernel started (CLOCK_MONOTONIC in the guest); the host's marks are
converted by the caller (QEMU start ~ kernel start under -kernel). Pure: no I/O.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

WORKER_STEPS = ("disks", "fsck")  # run by the disk worker, after `ready`
COLORS = {"ok": "#4c9f70", "failed": "#c0392b", "skipped": "#9aa5b1", "kernel": "#5b7db1"}


def bars(status: dict) -> list[dict]:
    """The bars: {"name", "row" (0 PID 1, 1 disk worker), "start_ms", "end_ms", "result"}.
    The kernel's bar spans 0 to the first PID 1 step."""
    steps = [s for s in status.get("steps", []) if isinstance(s, dict)]
    out = []
    pid1 = [s for s in steps if s.get("name") not in WORKER_STEPS]
    first = min((int(s.get("start_ms", 0)) for s in pid1 if s.get("start_ms")), default=0)
    if first > 0:
        out.append({"name": "kernel", "row": 0, "start_ms": 0, "end_ms": first, "result": "kernel"})
    for s in steps:
        start = int(s.get("start_ms", 0))
        dur = max(0, int(s.get("duration_ms", 0)))
        out.append({"name": str(s.get("name", "?")), "row": 1 if s.get("name") in WORKER_STEPS else 0,
                    "start_ms": start, "end_ms": start + dur, "result": str(s.get("result", "ok")),
                    "cpu_us": s.get("cpu_us") if isinstance(s.get("cpu_us"), int) else -1})
    return out


def render(status: dict, ssh_login_ms: float | None = None, title: str = "boot timeline",
           width: int = 960) -> str:
    bs = bars(status)
    end = max([b["end_ms"] for b in bs] + [int(status.get("boot_ms", 0)), int(ssh_login_ms or 0), 1])
    left, right, top, row_h = 110, 20, 40, 34
    scale = (width - left - right) / end
    height = top + 2 * row_h + 60
    x = lambda ms: left + ms * scale  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<title>{escape(title)}</title>',
             f'<text x="{left}" y="20" font-size="14">{escape(title)}</text>']
    for row, label in ((0, "PID 1"), (1, "disk worker")):
        y = top + row * row_h
        parts.append(f'<text x="8" y="{y + 20}" class="row">{label}</text>')
    for b in bs:
        y = top + b["row"] * row_h + 4
        w = max(1.0, (b["end_ms"] - b["start_ms"]) * scale)
        color = COLORS.get(b["result"], COLORS["ok"])
        tip = f'{b["name"]}: {b["end_ms"] - b["start_ms"]} ms ({b["result"]})'
        if b.get("cpu_us", -1) >= 0:
            tip += f', PID 1 cpu {b["cpu_us"] / 1000:.1f} ms'
        parts.append(f'<g class="step" data-name="{escape(b["name"])}">'
                     f'<rect x="{x(b["start_ms"]):.1f}" y="{y}" width="{w:.1f}" height="{row_h - 8}" '
                     f'fill="{color}"><title>{escape(tip)}</title></rect>'
                     f'<text x="{x(b["start_ms"]) + 2:.1f}" y="{y + row_h - 12}" fill="#fff">'
                     f'{escape(b["name"]) if w > 30 else ""}</text></g>')
    axis_y = top + 2 * row_h + 6
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#333"/>')
    step = 500 if end <= 8000 else 1000 if end <= 20000 else 5000
    for t in range(0, end + 1, step):
        parts.append(f'<text x="{x(t):.1f}" y="{axis_y + 14}" text-anchor="middle">{t / 1000:g} s</text>')
    for label, ms, color in (("ready", status.get("boot_ms"), "#222"), ("SSH login", ssh_login_ms, "#d35400")):
        if not ms:
            continue
        parts.append(f'<g class="mark" data-name="{label}"><line x1="{x(ms):.1f}" y1="{top - 6}" x2="{x(ms):.1f}" '
                     f'y2="{axis_y}" stroke="{color}" stroke-dasharray="4 3"/>'
                     f'<text x="{x(ms) + 3:.1f}" y="{axis_y + 30}" fill="{color}">{label} {float(ms) / 1000:.2f} s</text></g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
