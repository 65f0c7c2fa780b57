"""bench/push_auth.py: every case is measured and the last line is one JSON object with each figure."""

from __future__ import annotations

import json


def test_the_bench_reports_each_case_against_v1(bench_module, capsys):
    bench = bench_module("push_auth")
    figures = bench.main(["--pushes", "5", "--rounds", "1"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == figures
    assert set(figures) == {"v1_us", "v2_us", "both_us", "v2-forged_us", "v2_vs_v1", "both_vs_v1",
                            "v2-forged_vs_v1"}
    assert all(v > 0 for v in figures.values())


def test_only_the_forged_case_is_refused(bench_module):
    bench = bench_module("push_auth")
    private_pem, public_pem = bench.generate_test_keypair()
    auth = bench.SignatureAuth(public_pem)
    for case in bench.CASES:
        refused = 0
        for headers, body in bench.pushes(case, 3, private_pem):
            try:
                auth.check(bench.URL, headers, body)
            except bench.AuthFailure as exc:
                assert exc.status == 401
                refused += 1
        assert refused == (3 if case == "v2-forged" else 0), case
