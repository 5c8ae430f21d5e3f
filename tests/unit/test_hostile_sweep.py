"""A hostile-event sweep through the archiver's own validation (parse_payloads, fast path included): every shape
refused with its reason, nothing accepted, nothing crashing the parser."""

from __future__ import annotations

import random
from collections import Counter

from pipeline.facts import Refs
from pipeline.parsing import parse_payloads
from tests.faults.hostile import MUTATIONS, hostile_payloads


def test_every_hostile_shape_is_dead_lettered_with_its_reason_and_none_crashes():
    refs = Refs.from_files()
    hostile = hostile_payloads(refs, 20_000, random.Random(14))
    payloads: dict[str, list] = {}
    for stream, payload, _ in hostile:
        payloads.setdefault(stream, []).append(payload)
    parsed = parse_payloads(payloads, refs)
    reasons = {(stream, index): reason for stream, index, reason in parsed.rejected}
    positions: Counter = Counter()
    wrong, crashes = [], 0
    for stream, _, fragment in hostile:
        index = positions[stream]
        positions[stream] += 1
        reason = reasons.get((stream, index))
        if reason is None:
            continue
        crashes += reason.startswith("unreadable")
        if fragment.lower() not in reason.lower():
            wrong.append((stream, fragment, reason[:160]))
    mutations = Counter(m.__name__ for m in MUTATIONS)
    print(
        f"hostile sweep: {len(hostile)} entries of {len(mutations)} mutation kinds; dead-lettered "
        f"{len(parsed.rejected)}, accepted {len(parsed.events)}, parser crashes {crashes}, reasons off {len(wrong)}"
    )
    assert parsed.events == [], [e.event_id for e in parsed.events][:5]
    assert len(parsed.rejected) == len(hostile) and crashes == 0
    assert not wrong, wrong[:5]
