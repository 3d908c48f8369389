# awk -v B=0.25 -f timeline.awk OUT.N.tsv.marks OUT.N.tsv: timeline.sh's samples in buckets of B seconds from the
# start: the share of all cores left idle (idle + I/O wait), the I/O wait alone, the MiB the disk wrote, and the
# disk's requests in flight (mean of the samples).
FNR == NR { if ($1 == "start") s = $2; if ($1 == "end") e = $2; next }
{
  t = $1 - s; total = 0; for (i = 3; i <= 10; i++) total += $i; idle = $6; wait = $7
  for (k = 1; k <= NF; k++) if ($k == "|") d = k + 3   # the disk's name; its fields follow
  sectors = $(d + 7); inflight = $(d + 9)
  b = int(t / B); if (b > last) last = b; if (first == "") first = b
  if (pt != "") { dt[b] += total - pt; di[b] += idle - pi; dw[b] += wait - pw; ds[b] += sectors - ps; fl[b] += inflight; n[b]++ }
  pt = total; pi = idle; pw = wait; ps = sectors
}
END {
  printf "run %.2f s\n", e - s
  for (b = first; b <= last; b++) if (dt[b] > 0)
    printf "%5.2f-%5.2f s  idle %3.0f%%  (I/O wait %3.0f%%)  written %5.0f MiB  in flight %.1f\n", b * B, (b + 1) * B,
      100 * (di[b] + dw[b]) / dt[b], 100 * dw[b] / dt[b], ds[b] / 2048, fl[b] / n[b]
}
