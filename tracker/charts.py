"""Geometry of the board's charts, drawn as inline SVG by the templates.

No chart library and no script: the numbers are computed here, the shapes
written by tracker/_chart_*.html, and the colours come from CSS classes, so
the pages hold no external asset and no inline style.
"""

from tracker.models import Status

BAR_CHART_WIDTH = 400
BAR_LABEL_HEIGHT = 20
BAR_HEIGHT = 20
BAR_ROW_HEIGHT = 52
BAR_MAX_WIDTH = 360  # leaves room for the total after the longest bar

TIMELINE_WIDTH = 480
TIMELINE_PLOT_TOP = 24
TIMELINE_PLOT_HEIGHT = 170
TIMELINE_AXIS_HEIGHT = 40


def status_by_actor_chart(data: dict) -> dict:
    """Horizontal stacked bars: one row per actor, one segment per status."""
    actors = data["actors"]
    largest = max((actor["total"] for actor in actors), default=0)
    rows = []
    for index, actor in enumerate(actors):
        top = index * BAR_ROW_HEIGHT
        x = 0.0
        segments = []
        for status in Status:
            count = actor["counts"].get(status.value, 0)
            if not count:
                continue
            width = count / largest * BAR_MAX_WIDTH
            segments.append(
                {
                    "status": status.value,
                    "label": status.label,
                    "count": count,
                    "x": round(x, 2),
                    "width": round(width, 2),
                }
            )
            x += width
        rows.append(
            {
                "name": actor["name"],
                "id": actor["id"],
                "total": actor["total"],
                "label_y": top + BAR_LABEL_HEIGHT - 6,
                "bar_y": top + BAR_LABEL_HEIGHT,
                "total_x": round(x + 6, 2),
                "total_y": top + BAR_LABEL_HEIGHT + BAR_HEIGHT - 5,
                "segments": segments,
            }
        )
    present = {segment["status"] for row in rows for segment in row["segments"]}
    return {
        "width": BAR_CHART_WIDTH,
        "height": max(len(rows) * BAR_ROW_HEIGHT, BAR_ROW_HEIGHT),
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "others": data["others"],
        "legend": [{"status": status.value, "label": status.label} for status in Status if status.value in present],
    }


def dates_timeline_chart(buckets: list) -> dict:
    """Vertical stacked bars: target dates and next checks per month."""
    count = len(buckets) or 1
    slot = TIMELINE_WIDTH / count
    bar_width = round(slot * 0.7, 2)
    largest = max((bucket["total"] for bucket in buckets), default=0)
    baseline = TIMELINE_PLOT_TOP + TIMELINE_PLOT_HEIGHT
    bars = []
    previous_start = None
    for index, bucket in enumerate(buckets):
        x = round(index * slot + (slot - bar_width) / 2, 2)
        scale = TIMELINE_PLOT_HEIGHT / largest if largest else 0
        checks_height = round(bucket["checks"] * scale, 2)
        due_height = round(bucket["due"] * scale, 2)
        start = bucket["start"]
        bars.append(
            {
                **bucket,
                "x": x,
                "center": round(x + bar_width / 2, 2),
                "checks_y": round(baseline - checks_height, 2),
                "checks_height": checks_height,
                "due_y": round(baseline - checks_height - due_height, 2),
                "due_height": due_height,
                "total_y": round(baseline - checks_height - due_height - 6, 2),
                "year": start.strftime("%Y") if start and (previous_start is None or start.month == 1) else "",
            }
        )
        previous_start = start
    return {
        "width": TIMELINE_WIDTH,
        "height": baseline + TIMELINE_AXIS_HEIGHT,
        "baseline": baseline,
        "bar_width": bar_width,
        "month_y": baseline + 16,
        "year_y": baseline + 32,
        "bars": bars,
        "empty": largest == 0,
    }


AVERAGE_CHART_WIDTH = 480
AVERAGE_LABEL_WIDTH = 180
AVERAGE_ROW_HEIGHT = 24
AVERAGE_BAR_HEIGHT = 14
AVERAGE_AXIS_HEIGHT = 22
AVERAGE_HALF_WIDTH = 120  # the length of a bar at +1 or -1


def average_bars_chart(rows: list[dict]) -> dict:
    """Bars from a zero line, left for a negative average, right for a positive one: -1..+1.

    `rows` are dicts with a `name` and an `average` (None: nothing scored,
    drawn as a row without a bar).
    """
    centre = AVERAGE_LABEL_WIDTH + AVERAGE_HALF_WIDTH + 10
    bars = []
    for index, row in enumerate(rows):
        average = row["average"]
        top = AVERAGE_AXIS_HEIGHT + index * AVERAGE_ROW_HEIGHT
        bar = {"name": row["name"], "average": average, "label_y": top + AVERAGE_BAR_HEIGHT - 2, "bar_y": top}
        if average is not None:
            length = abs(average) * AVERAGE_HALF_WIDTH
            bar.update(
                x=round(centre - length if average < 0 else centre, 2),
                width=round(max(length, 1), 2),  # a zero average still shows as a hairline
                sign="negative" if average < 0 else ("positive" if average > 0 else "zero"),
                value_x=round(centre + length + 6 if average >= 0 else centre - length - 6, 2),
                value_anchor="start" if average >= 0 else "end",
            )
        bars.append(bar)
    return {
        "width": AVERAGE_CHART_WIDTH,
        "height": AVERAGE_AXIS_HEIGHT + max(len(rows), 1) * AVERAGE_ROW_HEIGHT,
        "centre": centre,
        "minus_x": centre - AVERAGE_HALF_WIDTH,
        "plus_x": centre + AVERAGE_HALF_WIDTH,
        "label_width": AVERAGE_LABEL_WIDTH,
        "axis_y": AVERAGE_AXIS_HEIGHT - 8,
        "bar_height": AVERAGE_BAR_HEIGHT,
        "bars": bars,
    }
