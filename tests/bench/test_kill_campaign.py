"""A short run of the kill -9 campaign (bench/kill_campaign.py): its invariants hold after two kills."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_two_kills_while_pushing_lose_nothing_and_every_post_is_on_record(bench_dir):
    done = subprocess.run([sys.executable, str(bench_dir / "kill_campaign.py"), "--kills", "2", "--interval", "1.5",
                           "--rate", "40", "--nodes", "800"], capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["accepted"] > 50 and result["kills"] == 2
    assert result["lost"] == 0 and result["mixed_results"] == 0 and result["posts_not_recorded"] == 0
    assert result["posted_twice"] == result["posted_twice_with_an_unknown_attempt"]
