#!/usr/bin/env python3
"""Derives the simulated DHT's round-trip table (TorrentLab.Simulation/Data/rtt-ripe-atlas.txt) from RIPE Atlas.

Input: country_rtt_stat.csv (or .csv.gz), the country-to-country ping statistics that the Ouroboros Leios project
computed from five days of RIPE Atlas daily ping dumps (2025-03-29..31, 2025-04-18..19; 2.48 billion pings; file
data/internet/country_rtt_stat.csv.gz of github.com/input-output-hk/ouroboros-leios, whose data/internet/ReadMe.md
gives the recipe): one row per unordered pair of countries (cty1, cty2, rtt_cnt, rtt_avg, rtt_std, rtt_min, rtt_max),
the countries of the two addresses as iptoasn.com registers them.

Output: an aggregate only (the country table itself is not shipped): each country is put in one of six regions by its
first zone in the tz database's zone.tab (Europe, Asia, Africa; America split at 12 degrees north into North and
South America; Australia and Pacific as Oceania; Atlantic and Indian islands by latitude); a region's share is its
share of the pings' ends; for each pair of regions, the quantiles of the country pairs' mean round trips, each
country pair weighted by its number of pings. Countries the data could not place (no country, "EU") are left out.

usage: derive-rtt-table.py country_rtt_stat.csv[.gz] [zone.tab] > TorrentLab.Simulation/Data/rtt-ripe-atlas.txt
"""
import collections
import csv
import gzip
import sys

QUANTILES = [0.01] + [k / 20 for k in range(1, 20)] + [0.99]
REGIONS = ["EU", "NA", "AS", "SA", "OC", "AF"]


def zones(path):
    first = {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("#"):
            continue
        country, coordinates, zone = line.rstrip("\n").split("\t")[:3]
        if country not in first:
            sign = 1 if coordinates[0] == "+" else -1
            first[country] = (zone, sign * int(coordinates[1:3]))
    return first


def region(country, table):
    if country not in table:
        return None
    zone, latitude = table[country]
    area = zone.split("/")[0]
    if area in ("Europe", "Asia", "Africa"):
        return {"Europe": "EU", "Asia": "AS", "Africa": "AF"}[area]
    if area == "America":
        return "NA" if latitude >= 12 else "SA"
    if area in ("Australia", "Pacific"):
        return "OC"
    if area == "Atlantic":
        return "EU" if latitude >= 30 else "AF" if latitude > -40 else "SA"
    if area == "Indian":
        return "AS" if latitude >= 0 else "AF"
    return None


def quantile(weighted, share):
    total = sum(n for _, n in weighted)
    seen = 0
    for value, n in weighted:
        seen += n
        if seen >= share * total:
            return value
    return weighted[-1][0]


def main():
    source = sys.argv[1]
    table = zones(sys.argv[2] if len(sys.argv) > 2 else "/usr/share/zoneinfo/zone.tab")
    opener = gzip.open if source.endswith(".gz") else open
    pairs = collections.defaultdict(list)
    ends = collections.Counter()
    left_out = 0
    with opener(source, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            a, b = region(row["cty1"], table), region(row["cty2"], table)
            count = int(row["rtt_cnt"])
            if a is None or b is None:
                left_out += count
                continue
            key = tuple(sorted((a, b), key=REGIONS.index))
            pairs[key].append((float(row["rtt_avg"]), count))
            ends[a] += count
            ends[b] += count
    pings = sum(ends.values()) // 2
    print("# Round trips between six regions of the internet, derived from RIPE Atlas ping measurements (RIPE NCC,")
    print("# https://atlas.ripe.net/), by bench/sim/derive-rtt-table.py from the country-to-country statistics of the")
    print("# Ouroboros Leios project (github.com/input-output-hk/ouroboros-leios, data/internet/country_rtt_stat.csv.gz:")
    print("# five days of RIPE Atlas daily ping dumps, 2025-03-29..31 and 2025-04-18..19). An aggregate of our own; the")
    print(f"# country table is not copied. {pings} pings of placed countries; {left_out} with an unplaced end left out.")
    print("# region NAME SHARE: the region's share of the pings' ends (where RIPE Atlas measures, not where DHT nodes are).")
    print("# rtt A B Q...: quantiles (at the shares below) of the country pairs' mean round trip in ms, weighted by pings.")
    print("quantiles " + " ".join(f"{q:.2f}" for q in QUANTILES))
    for name in REGIONS:
        print(f"region {name} {ends[name] / (2 * pings):.4f}")
    for i, a in enumerate(REGIONS):
        for b in REGIONS[i:]:
            weighted = sorted(pairs[(a, b)])
            print(f"rtt {a} {b} " + " ".join(f"{quantile(weighted, q):.1f}" for q in QUANTILES))


if __name__ == "__main__":
    main()
