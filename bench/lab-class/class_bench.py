#!/usr/bin/env python3
"""Grades a class of the planted-mistake students with `torrentlab lab class` at several --jobs and reports, per run,
the wall time and the false verdicts (a correct client with a stage not PASS, or a broken client that passed its own
stage or failed an earlier one).

    /usr/bin/python3 bench/lab-class/class_bench.py --students 40 --jobs 1 2 4 0 [--seed 7] [--torrentlab "CMD"]

The class cycles through fixtures/students (two correct clients, then one client per planted mistake, each with the
stage its mistake belongs to), so --students 40 is the issue's class of 40. --jobs 0 runs without --jobs: the measured
default (ClassAdmission), and the line says how many students it checked at once at most.
Nothing leaves loopback: the checker's tracker, peers and DHT nodes listen on 127.0.0.1.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STUDENTS = os.path.join(ROOT, "fixtures", "students")

# (client, the stage its mistake fails; None: a correct client that must pass every stage). Default grade (faults).
PLANTED = [
    ("good_client.py", None),
    ("urlencode_client.py", None),
    ("char_length_strings.py", "bencode-lists"),
    ("unsorted_info_keys.py", "info-hash"),
    ("pieces_as_text.py", "piece-hashes"),
    ("hex_info_hash.py", "discover-peers"),
    ("plus_in_info_hash.py", "discover-peers"),
    ("off_by_one_piece.py", "download-piece"),
    ("last_piece_length.py", "download-piece"),
    ("big_blocks.py", "download-piece"),
    ("no_unchoke_wait.py", "download-piece"),
    ("no_piece_hash_check.py", "download-piece"),
    ("magnet_positional.py", "magnet-parse"),
    ("magnet_no_extension_bit.py", "magnet-handshake"),
    ("magnet_left_zero.py", "magnet-handshake"),
    ("magnet_wrong_ext_id.py", "magnet-info"),
    ("magnet_no_hash_check.py", "magnet-info"),
    ("metadata_keeps_header.py", "magnet-info"),
    ("dht_no_transaction_id.py", "dht-ping"),
    ("dht_no_follow.py", "dht-get-peers"),
    ("dht_magnet_tracker_only.py", "dht-magnet-download"),
    ("v2_truncated_hash.py", "v2-info-hash"),
    ("merkle_repeat_last.py", "merkle-root"),
    ("merkle_pad_every_layer.py", "merkle-root"),
    ("v2_no_hash_request.py", "v2-download-piece"),
]


def false_verdicts(book, expected):
    wrong = []
    for line in book:
        stage = expected[line["student"]]
        verdicts = {v["stage"]: v["verdict"] for v in line["stages"]}
        order = [v["stage"] for v in line["stages"]]
        if line["status"] != "graded":
            wrong.append("%s: %s (%s)" % (line["student"], line["status"], line["error"]))
        elif stage is None and any(v != "PASS" for v in verdicts.values()):
            wrong.append("%s: a correct client got %s" % (line["student"], line["first_failure"]))
        elif stage is not None:
            if verdicts.get(stage) == "PASS":
                wrong.append("%s: passed %s, where its mistake is" % (line["student"], stage))
            earlier = [s for s in order[:order.index(stage)] if verdicts[s] != "PASS"] if stage in order else []
            if earlier:
                wrong.append("%s: failed %s before its own stage %s" % (line["student"], earlier[0], stage))
    return wrong


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--torrentlab", default="dotnet " + os.path.join(ROOT, "TorrentLab.Cli", "bin", "Debug", "net10.0", "TorrentLab.Cli.dll"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="torrentlab-class-bench-") as folder:
        expected, roster = {}, []
        for i in range(args.students):
            client, stage = PLANTED[i % len(PLANTED)]
            name = "s%02d-%s" % (i + 1, client[:-3].replace("_", "-"))
            expected[name] = stage
            roster.append("%s /usr/bin/python3 %s" % (name, shlex.quote(os.path.join(STUDENTS, client))))
        with open(os.path.join(folder, "roster.txt"), "w") as f:
            f.write("\n".join(roster) + "\n")
        print("# %d students, seed %d, %s; load average before: %s" % (args.students, args.seed, args.torrentlab, open("/proc/loadavg").read().split()[:3]))
        for jobs in args.jobs:
            out = os.path.join(folder, "out-%d" % jobs)   # a fresh folder: no grade kept from a run before
            start = time.monotonic()
            run = subprocess.run(shlex.split(args.torrentlab) + ["lab", "class", os.path.join(folder, "roster.txt")]
                                 + (["--jobs", str(jobs)] if jobs > 0 else []) + ["--seed", str(args.seed), "-o", out], capture_output=True, text=True)
            seconds = time.monotonic() - start
            if not os.path.exists(os.path.join(out, "class.jsonl")):
                print(run.stdout + run.stderr, file=sys.stderr)
                sys.exit("lab class wrote no gradebook (exit %d)" % run.returncode)
            with open(os.path.join(out, "class.jsonl")) as f:
                book = [json.loads(line) for line in f]
            wrong = false_verdicts(book, expected)
            most = [l for l in run.stderr.splitlines() if l.startswith("at most ")]
            print("jobs %s: %d students in %.0f s (%.1f s per student), %d gradebook lines, %d false verdict(s); load average after: %s"
                  % (jobs if jobs > 0 else "measured (%s)" % (most[0] if most else "?"), args.students, seconds, seconds / args.students,
                     len(book), len(wrong), open("/proc/loadavg").read().split()[:3]))
            for w in wrong:
                print("  false: " + w)


if __name__ == "__main__":
    main()
